"""One in-memory stand-in for the KubeClient methods the controllers use, shared by the unit tests.

Objects are keyed by (plural, namespace, name) with "" for cluster scope; label selectors match by
equality. ``calls`` logs every call ("get pods/x"), ``writes`` every write as (verb, plural, name).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any

from modelyard.adapters.kube import ApiError, KubeClient, Ref

Key = tuple[str, str, str]


def merge(target: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7386 merge patch, in place."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


class FakeApi:
    def __init__(self) -> None:
        self.objects: dict[Key, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.writes: list[tuple[str, str, str]] = []
        self._names = itertools.count()

    def store(self, ref: Ref, body: dict[str, Any], namespace: str | None = None) -> None:
        """Put ``body`` in the store as it is (no call logged): the test's own arrangement."""
        ns = namespace if namespace is not None else body["metadata"].get("namespace")
        self.objects[(ref.plural, ns or "", body["metadata"]["name"])] = body

    def of(self, ref: Ref) -> list[dict[str, Any]]:
        return [o for (plural, _, _), o in self.objects.items() if plural == ref.plural]

    async def get(self, ref: Ref, namespace: str | None, name: str) -> dict[str, Any]:
        found = await self.get_or_none(ref, namespace, name)
        if found is None:
            raise ApiError(404, "NotFound", f"{ref.plural} {name} not found")
        return found

    async def get_or_none(self, ref: Ref, namespace: str | None, name: str) -> dict[str, Any] | None:
        self.calls.append(f"get {ref.plural}/{name}")
        found = self.objects.get((ref.plural, namespace or "", name))
        return copy.deepcopy(found) if found is not None else None

    async def list(self, ref: Ref, namespace: str | None = None, *, labels: Mapping[str, str] | None = None,
                   selector: str | None = None) -> list[dict[str, Any]]:
        self.calls.append(f"list {ref.plural}")
        want = dict(labels or {})
        return [copy.deepcopy(o) for (plural, ns, _), o in sorted(self.objects.items())
                if plural == ref.plural and ns == (namespace or "")
                and want.items() <= (o["metadata"].get("labels") or {}).items()]

    async def create(self, ref: Ref, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(f"create {ref.plural}")
        body = copy.deepcopy(body)
        meta = body["metadata"]
        meta.setdefault("name", f"{meta.get('generateName', 'x')}{next(self._names)}")
        key = (ref.plural, namespace or "", meta["name"])
        if key in self.objects:
            raise ApiError(409, "AlreadyExists", f"{ref.plural} {meta['name']} already exists")
        meta.setdefault("uid", f"uid-{ref.plural}-{meta['name']}")
        self.objects[key] = body
        self.writes.append(("create", ref.plural, meta["name"]))
        return copy.deepcopy(body)

    async def patch(self, ref: Ref, namespace: str | None, name: str, body: Any, **_: Any) -> dict[str, Any]:
        self.calls.append(f"patch {ref.plural}/{name}")
        target = self.objects.get((ref.plural, namespace or "", name))
        if target is None:
            raise ApiError(404, "NotFound", name)
        self.writes.append(("patch", ref.plural, name))
        return copy.deepcopy(merge(target, body))

    converge = KubeClient.converge  # the real compare-before-apply, over this fake's get and apply

    async def apply(self, ref: Ref, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(f"apply {ref.plural}")
        self.objects[(ref.plural, namespace or "", body["metadata"]["name"])] = copy.deepcopy(body)
        self.writes.append(("apply", ref.plural, body["metadata"]["name"]))
        return copy.deepcopy(body)

    async def delete(self, ref: Ref, namespace: str | None, name: str, **_: Any) -> bool:
        self.calls.append(f"delete {ref.plural}/{name}")
        self.writes.append(("delete", ref.plural, name))
        return self.objects.pop((ref.plural, namespace or "", name), None) is not None
