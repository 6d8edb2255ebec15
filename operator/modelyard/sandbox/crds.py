"""CustomResourceDefinitions: turning them into served resources, loading them from a directory.

Creating a CRD through the API registers its resources at once and marks it ``Established`` and
``NamesAccepted`` (a real server does this asynchronously, within a second). Deleting a CRD deletes all
its objects (the real server does the same through the ``customresourcecleanup`` finalizer).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from modelyard.sandbox.errors import invalid
from modelyard.sandbox.events import Event
from modelyard.sandbox.objects import meta, name_of, timestamp
from modelyard.sandbox.resources import Column, Registry, ResourceInfo
from modelyard.sandbox.validation import Cause, cause

if TYPE_CHECKING:
    from modelyard.sandbox.store import Store

JsonDict = dict[str, Any]
CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")
log = logging.getLogger(__name__)


def infos_from_crd(crd: JsonDict) -> list[ResourceInfo]:
    """One :class:`ResourceInfo` per served version, storage version first."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = sorted(spec.get("versions") or [], key=lambda v: not v.get("storage"))
    infos = []
    for version in versions:
        if not version.get("served", True):
            continue
        subresources = frozenset((version.get("subresources") or spec.get("subresources") or {}).keys())
        columns = tuple(
            Column(
                name=c["name"],
                type=c.get("type", "string"),
                json_path=c.get("jsonPath", ""),
                description=c.get("description", ""),
                priority=int(c.get("priority", 0)),
                format=c.get("format", ""),
            )
            for c in version.get("additionalPrinterColumns") or []
        )
        schema = (version.get("schema") or spec.get("validation") or {}).get("openAPIV3Schema") or {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
        }
        infos.append(
            ResourceInfo(
                group=spec["group"],
                version=version["name"],
                plural=names["plural"],
                kind=names["kind"],
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                singular=names.get("singular", ""),
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=subresources,
                columns=columns or None,
                schema=schema,
                crd=True,
            )
        )
    return infos


def check_crd(crd: JsonDict, registry: Registry) -> None:
    """Refuse a structurally broken CRD with a 422, as the real server does (a subset of its checks)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    causes: list[Cause] = []
    for field, value in (
        ("spec.group", spec.get("group")),
        ("spec.names.plural", names.get("plural")),
        ("spec.names.kind", names.get("kind")),
    ):
        if not value:
            causes.append(cause("FieldValueRequired", field, "Required value"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(
            cause(
                "FieldValueNotSupported",
                "spec.scope",
                f'Unsupported value: "{spec.get("scope")}": supported values: "Cluster", "Namespaced"',
            )
        )
    versions = spec.get("versions") or []
    if sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(
            cause(
                "FieldValueInvalid",
                "spec.versions",
                "Invalid value: must have exactly one version marked as storage version",
            )
        )
    expected = f"{names.get('plural')}.{spec.get('group')}"
    if not causes and name_of(crd) != expected:
        causes.append(
            cause(
                "FieldValueInvalid",
                "metadata.name",
                f'Invalid value: "{name_of(crd)}": must be spec.names.plural+"."+spec.group',
            )
        )
    if causes:
        raise invalid("CustomResourceDefinition", "apiextensions.k8s.io", name_of(crd), causes)


def register(registry: Registry, crd: JsonDict) -> None:
    """Serve (or re-serve) a CRD's resources."""
    spec = crd["spec"]
    registry.remove_plural(spec["group"], spec["names"]["plural"])
    for index, info in enumerate(infos_from_crd(crd)):
        registry.add(info, preferred=index == 0)


def established_status(crd: JsonDict, now: str) -> JsonDict:
    """The status a real server gives an accepted CRD."""
    spec = crd["spec"]
    conditions = [
        {"type": t, "status": "True", "reason": r, "message": m, "lastTransitionTime": now}
        for t, r, m in (
            ("NamesAccepted", "NoConflicts", "no conflicts found"),
            ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        )
    ]
    stored = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
    return {"acceptedNames": spec["names"], "conditions": conditions, "storedVersions": stored}


class CrdController:
    """Keeps the registry in step with CRD objects in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.unsubscribe = store.storage.add_listener(self.on_event)

    def on_event(self, event: Event) -> None:
        """Register/unregister resources when a CRD is written or deleted."""
        if event.key != CRD_KEY:
            return
        spec = event.obj.get("spec") or {}
        if event.type == "DELETED":
            self._drop(spec)
            return
        register(self.store.registry, event.obj)
        if not (event.obj.get("status") or {}).get("conditions"):
            self._establish(event.obj)

    def _establish(self, crd: JsonDict) -> None:
        info = self.store.registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        if info is None:
            return
        status = established_status(crd, timestamp(self.store.clock))
        self.store.patch(
            info, "", name_of(crd), "application/merge-patch+json", {"status": status}, subresource="status"
        )

    def _drop(self, spec: JsonDict) -> None:
        group, plural = spec.get("group", ""), (spec.get("names") or {}).get("plural", "")
        for version in self.store.registry.versions(group):
            info = self.store.registry.get(group, version, plural)
            if info is None:
                continue
            for obj in self.store.storage.items(info.storage_key):
                self.store.storage.commit(info.storage_key, "DELETED", obj, obj)
            break
        self.store.registry.remove_plural(group, plural)


def load_crd_docs(path: Path) -> list[JsonDict]:
    """Every ``CustomResourceDefinition`` document in a YAML file or a directory of them."""
    files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
    docs: list[JsonDict] = []
    for file in files:
        for doc in yaml.safe_load_all(file.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                docs.append(doc)
            elif isinstance(doc, dict) and doc.get("kind") == "List":
                docs += [d for d in doc.get("items") or [] if d.get("kind") == "CustomResourceDefinition"]
    return docs


def install(store: Store, crd: JsonDict) -> None:
    """Create (or replace the spec of) a CRD through the store, so it is served at once."""
    info = store.registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    if info is None:
        raise RuntimeError("the CRD resource itself is not registered")
    existing = store.storage.find(info.storage_key, "", name_of(crd))
    if existing is None:
        store.create(info, "", crd)
    else:
        body = {**crd, "metadata": {**meta(crd), "resourceVersion": meta(existing)["resourceVersion"]}}
        store.update(info, "", name_of(crd), body)
