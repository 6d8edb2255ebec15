"""Deletion: finalizers, ``deletionTimestamp``, owner-reference garbage collection, namespaces.

Like the real server: deleting an object with finalizers only sets ``deletionTimestamp`` (a MODIFIED
event); the object goes away (DELETED) when its last finalizer is removed. Dependents whose owners are
all gone are deleted (background propagation); ``Foreground`` adds the ``foregroundDeletion`` finalizer to
the owner until its dependents are gone; ``Orphan`` strips the owner references from dependents. A deleted
namespace turns ``Terminating``, its content is deleted, and it goes when empty.

Approximations: the garbage collector runs synchronously after each deletion instead of in a controller
(so dependents vanish "at once"); a dependent with several owners goes only when all are gone;
``gracePeriodSeconds`` is ignored (pods go at once, as if there were no kubelet).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from modelyard.sandbox.errors import conflict, not_found
from modelyard.sandbox.events import StorageKey
from modelyard.sandbox.objects import Clock, clone, meta, timestamp, view
from modelyard.sandbox.resources import Registry, ResourceInfo
from modelyard.sandbox.storage import Storage

JsonDict = dict[str, Any]
FOREGROUND = "foregroundDeletion"
log = logging.getLogger(__name__)


@dataclass
class DeleteOptions:
    """The parts of ``DeleteOptions`` the sandbox honours."""

    propagation_policy: str = "Background"
    dry_run: bool = False
    precondition_uid: str | None = None
    precondition_rv: str | None = None

    @classmethod
    def from_body(
        cls, body: JsonDict | None, *, dry_run: bool = False, propagation: str | None = None
    ) -> DeleteOptions:
        """Build from a ``DeleteOptions`` body and query parameters (the query wins)."""
        body = body or {}
        pre = body.get("preconditions") or {}
        policy = (
            propagation
            or body.get("propagationPolicy")
            or ("Orphan" if body.get("orphanDependents") else None)
        )
        return cls(
            propagation_policy=policy or "Background",
            dry_run=dry_run or bool(body.get("dryRun")),
            precondition_uid=pre.get("uid"),
            precondition_rv=pre.get("resourceVersion"),
        )


class Deleter:
    """Deletes objects from a :class:`Storage`, honouring finalizers and owner references."""

    def __init__(self, storage: Storage, registry: Registry, clock: Clock) -> None:
        self.storage = storage
        self.registry = registry
        self.clock = clock

    def delete(self, info: ResourceInfo, namespace: str, name: str, opts: DeleteOptions) -> JsonDict:
        """Delete one object; returns it as last seen (with ``deletionTimestamp`` if it lingers)."""
        obj = self.storage.find(info.storage_key, namespace, name)
        if obj is None:
            raise not_found(info.plural, info.group, name)
        self._check_preconditions(info, obj, opts)
        if opts.dry_run:
            return view(info, obj)
        if opts.propagation_policy == "Orphan":
            self._orphan_dependents(str(meta(obj).get("uid")))
        finalizers = list(meta(obj).get("finalizers") or [])
        if opts.propagation_policy == "Foreground" and self._dependents(str(meta(obj).get("uid"))):
            finalizers = [*finalizers, FOREGROUND] if FOREGROUND not in finalizers else finalizers
        if info.storage_key == ("", "namespaces"):
            return self._delete_namespace(info, obj)
        if finalizers:
            result = self._mark_deleting(info, obj, finalizers)
            if FOREGROUND in finalizers:
                for key, dependent in self._dependents(str(meta(obj).get("uid"))):
                    self._delete_dependent(key, dependent)
        else:
            result = self.remove(info, obj)
        self.sweep()
        return result

    def _check_preconditions(self, info: ResourceInfo, obj: JsonDict, opts: DeleteOptions) -> None:
        md = meta(obj)
        if opts.precondition_uid and opts.precondition_uid != md.get("uid"):
            raise conflict(
                info.plural,
                info.group,
                str(md["name"]),
                "Precondition failed: UID in precondition: "
                f"{opts.precondition_uid}, UID in object meta: {md.get('uid')}",
            )
        if opts.precondition_rv and opts.precondition_rv != md.get("resourceVersion"):
            raise conflict(info.plural, info.group, str(md["name"]))

    def _mark_deleting(self, info: ResourceInfo, obj: JsonDict, finalizers: list[str]) -> JsonDict:
        md = meta(obj)
        if md.get("deletionTimestamp") and md.get("finalizers") == finalizers:
            return view(info, obj)
        new = clone(obj)
        new_md = meta(new)
        new_md.setdefault("deletionTimestamp", timestamp(self.clock))
        new_md.setdefault("deletionGracePeriodSeconds", 0)
        new_md["finalizers"] = finalizers
        return view(info, self.storage.commit(info.storage_key, "MODIFIED", new, obj))

    def remove(self, info: ResourceInfo, obj: JsonDict) -> JsonDict:
        """Take an object out of storage for good (a DELETED event), then collect garbage."""
        gone = self.storage.commit(info.storage_key, "DELETED", obj, obj)
        self.sweep()
        return view(info, gone)

    def _delete_namespace(self, info: ResourceInfo, ns: JsonDict) -> JsonDict:
        new = clone(ns)
        md = meta(new)
        if not md.get("deletionTimestamp"):
            md["deletionTimestamp"] = timestamp(self.clock)
            new["status"] = {"phase": "Terminating"}
            self.storage.commit(info.storage_key, "MODIFIED", new, ns)
        name = str(md["name"])
        for key, obj in self.storage.all_objects():
            if meta(obj).get("namespace") == name and not meta(obj).get("deletionTimestamp"):
                self._delete_dependent(key, obj)
        self.sweep()
        current = self.storage.find(info.storage_key, "", name)
        return view(info, current if current is not None else new)

    # garbage collection ------------------------------------------------------------------------------

    def _info(self, key: StorageKey) -> ResourceInfo | None:
        group, plural = key
        for version in self.registry.versions(group):
            info = self.registry.get(group, version, plural)
            if info is not None:
                return info
        return None

    def _dependents(self, uid: str) -> list[tuple[StorageKey, JsonDict]]:
        return [
            (k, o)
            for k, o in self.storage.all_objects()
            if any(ref.get("uid") == uid for ref in meta(o).get("ownerReferences") or [])
        ]

    def _orphan_dependents(self, uid: str) -> None:
        for key, obj in self._dependents(uid):
            new = clone(obj)
            refs = [r for r in meta(new).get("ownerReferences") or [] if r.get("uid") != uid]
            meta(new)["ownerReferences"] = refs
            if not refs:
                meta(new).pop("ownerReferences")
            self.storage.commit(key, "MODIFIED", new, obj)

    def _delete_dependent(self, key: StorageKey, stale: JsonDict) -> None:
        info = self._info(key)
        obj = self.storage.find(key, str(meta(stale).get("namespace") or ""), str(meta(stale)["name"]))
        if info is None or obj is None or meta(obj).get("deletionTimestamp"):
            return
        finalizers = list(meta(obj).get("finalizers") or [])
        if finalizers:
            self._mark_deleting(info, obj, finalizers)
        else:
            self.storage.commit(key, "DELETED", obj, obj)

    def _is_current(self, key: StorageKey, obj: JsonDict) -> bool:
        """Whether a snapshot taken earlier in a sweep is still the stored version."""
        return self.storage.find(key, str(meta(obj).get("namespace") or ""), str(meta(obj)["name"])) is obj

    def sweep(self) -> None:
        """Collect orphans, release foreground owners, finish terminating namespaces; until stable."""
        for _ in range(100):
            if not (self._collect_orphans() or self._release_foreground() or self._finish_namespaces()):
                return
        log.warning("sandbox GC did not settle after 100 rounds")

    def _collect_orphans(self) -> bool:
        changed = False
        for key, obj in self.storage.all_objects():
            refs = meta(obj).get("ownerReferences") or []
            if (
                refs
                and self._is_current(key, obj)
                and not meta(obj).get("deletionTimestamp")
                and not any(self.storage.uid_exists(str(r.get("uid"))) for r in refs)
            ):
                self._delete_dependent(key, obj)
                changed = True
        return changed

    def _release_foreground(self) -> bool:
        changed = False
        for key, obj in self.storage.all_objects():
            finalizers = meta(obj).get("finalizers") or []
            if (
                FOREGROUND in finalizers
                and self._is_current(key, obj)
                and not self._dependents(str(meta(obj).get("uid")))
            ):
                new = clone(obj)
                meta(new)["finalizers"] = [f for f in finalizers if f != FOREGROUND]
                committed = self.storage.commit(key, "MODIFIED", new, obj)
                if not meta(committed)["finalizers"]:
                    self.storage.commit(key, "DELETED", committed, committed)
                changed = True
        return changed

    def _finish_namespaces(self) -> bool:
        changed = False
        for key, ns in self.storage.all_objects():
            if (
                key != ("", "namespaces")
                or not meta(ns).get("deletionTimestamp")
                or not self._is_current(key, ns)
            ):
                continue
            name = meta(ns)["name"]
            if any(meta(o).get("namespace") == name for _, o in self.storage.all_objects()):
                continue
            if not meta(ns).get("finalizers"):
                self.storage.commit(key, "DELETED", ns, ns)
                changed = True
        return changed
