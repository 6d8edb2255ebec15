"""What the API server knows how to serve: resource types, their names, scope and schema.

A :class:`ResourceInfo` is one (group, version, plural) the server serves. Objects live in storage
per (group, plural): like kube-apiserver, versions are views of one stored object (we rewrite
``apiVersion`` on read and do no conversion beyond that).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]

READ_VERBS = ("get", "list", "watch")
ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Column:
    """One printer column (``additionalPrinterColumns`` entry)."""

    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0
    format: str = ""


@dataclass(frozen=True)
class ResourceInfo:
    """One served resource in one version."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()
    columns: tuple[Column, ...] | None = None
    schema: JsonDict | None = field(default=None, compare=False, hash=False)
    crd: bool = False
    verbs: tuple[str, ...] = ALL_VERBS

    @property
    def api_version(self) -> str:
        """``v1`` for the core group, else ``group/version``."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_key(self) -> tuple[str, str]:
        """Where objects live: one storage per group and plural, whatever the version."""
        return (self.group, self.plural)

    @property
    def has_status(self) -> bool:
        """Whether ``/status`` is a subresource (and main writes must leave status alone)."""
        return "status" in self.subresources

    @property
    def list_kind(self) -> str:
        """``WidgetList``."""
        return f"{self.kind}List"

    @property
    def singular_name(self) -> str:
        """The singular name, lower-cased kind when not given."""
        return self.singular or self.kind.lower()


class Registry:
    """All served resources, indexed for URL routing and discovery."""

    def __init__(self) -> None:
        self._by_gvr: dict[tuple[str, str, str], ResourceInfo] = {}
        self._versions: dict[str, list[str]] = {}

    def add(self, info: ResourceInfo, *, preferred: bool = False) -> None:
        """Register (or replace) one resource version."""
        self._by_gvr[(info.group, info.version, info.plural)] = info
        versions = self._versions.setdefault(info.group, [])
        if info.version not in versions:
            if preferred:
                versions.insert(0, info.version)
            else:
                versions.append(info.version)

    def remove_plural(self, group: str, plural: str) -> None:
        """Forget a resource in all versions (a CRD was deleted)."""
        for key in [k for k in self._by_gvr if k[0] == group and k[2] == plural]:
            del self._by_gvr[key]
        for grp in list(self._versions):
            live = [v for v in self._versions[grp] if any(k[0] == grp and k[1] == v for k in self._by_gvr)]
            if live:
                self._versions[grp] = live
            else:
                del self._versions[grp]

    def get(self, group: str, version: str, plural: str) -> ResourceInfo | None:
        """The resource at (group, version, plural), if served."""
        return self._by_gvr.get((group, version, plural))

    def by_kind(self, group: str, kind: str) -> ResourceInfo | None:
        """The preferred version of a kind in a group."""
        for version in self.versions(group):
            for info in self.in_version(group, version):
                if info.kind == kind:
                    return info
        return None

    def groups(self) -> list[str]:
        """All groups, the core group ``""`` included, in registration order."""
        return list(self._versions)

    def versions(self, group: str) -> list[str]:
        """Versions of a group, preferred first."""
        return list(self._versions.get(group, []))

    def in_version(self, group: str, version: str) -> list[ResourceInfo]:
        """Resources served in one group version."""
        return [i for (g, v, _), i in self._by_gvr.items() if g == group and v == version]

    def __iter__(self) -> Iterator[ResourceInfo]:
        return iter(list(self._by_gvr.values()))
