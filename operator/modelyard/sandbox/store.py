"""The in-memory API store: CRUD with the semantics of kube-apiserver's generic registry.

What it does like the real server: a global, monotonically increasing resourceVersion set on every
write; ``uid``/``creationTimestamp``/``generation`` owned by the server (generation is 1 on create and
bumped only when something outside metadata — and status, with a status subresource — changes);
optimistic concurrency (``409 Conflict`` on a stale resourceVersion); ``409 AlreadyExists``;
``generateName``; the status subresource kept apart; no-op writes that neither bump the resourceVersion
nor emit an event; namespaces that must exist; watches from any resourceVersion still in history.
Deletion, finalizers and garbage collection live in :mod:`modelyard.sandbox.deletion`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

from modelyard.sandbox import admission, patches
from modelyard.sandbox.deletion import DeleteOptions, Deleter
from modelyard.sandbox.errors import ApiError, already_exists, bad_request, invalid, not_found
from modelyard.sandbox.events import Watcher
from modelyard.sandbox.objects import (
    NAME_ALPHABET,
    SERVER_METADATA,
    Clock,
    check_identity,
    check_name,
    clone,
    forbidden,
    meta,
    require_dict,
    same_but_bookkeeping,
    spec_part,
    timestamp,
    utcnow,
    view,
)
from modelyard.sandbox.paging import decode_continue, encode_continue, parse_rv, sort_key
from modelyard.sandbox.resources import Registry, ResourceInfo
from modelyard.sandbox.selectors import compile_selectors
from modelyard.sandbox.storage import Storage
from modelyard.sandbox.writes import WriteOptions, WriteResult, carry_over, check_finalizers, record_manager

JsonDict = dict[str, Any]


__all__ = ["DeleteOptions", "Store", "WriteOptions", "WriteResult"]


class Store:
    """Kubernetes objects in memory. Synchronous: call it from the event loop thread only."""

    def __init__(
        self, registry: Registry, *, history_size: int = 10_000, clock: Clock = utcnow, seed: int = 0
    ) -> None:
        self.registry = registry
        self.storage = Storage(history_size)
        self.clock = clock
        self._rng = random.Random(seed)
        self._uid_counter = 0
        self.deleter = Deleter(self.storage, registry, clock)

    # reads -------------------------------------------------------------------------------------------

    def get(self, info: ResourceInfo, namespace: str, name: str) -> JsonDict:
        """One object, or 404."""
        obj = self.storage.find(info.storage_key, namespace if info.namespaced else "", name)
        if obj is None:
            raise not_found(info.plural, info.group, name)
        return view(info, obj)

    def get_json(self, info: ResourceInfo, namespace: str, name: str) -> bytes:
        """``get`` serialised to JSON (cached per stored revision)."""
        obj = self.storage.find(info.storage_key, namespace if info.namespaced else "", name)
        if obj is None:
            raise not_found(info.plural, info.group, name)
        return self.storage.encode(obj, info.api_version, info.kind)

    def list(
        self,
        info: ResourceInfo,
        namespace: str = "",
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> JsonDict:
        """A ``<Kind>List`` with the current resourceVersion; ``limit``/``continue`` paginate by name."""
        objs, list_meta = self._select(info, namespace, label_selector, field_selector, limit, continue_token)
        return {
            "kind": info.list_kind,
            "apiVersion": info.api_version,
            "metadata": list_meta,
            "items": [view(info, o) for o in objs],
        }

    def list_json(
        self,
        info: ResourceInfo,
        namespace: str = "",
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int = 0,
        continue_token: str | None = None,
    ) -> bytes:
        """``list`` serialised to JSON, from each item's cached serialisation."""
        objs, list_meta = self._select(info, namespace, label_selector, field_selector, limit, continue_token)
        head = json.dumps({"kind": info.list_kind, "apiVersion": info.api_version, "metadata": list_meta})
        items = b", ".join(self.storage.encode(o, info.api_version, info.kind) for o in objs)
        return head[:-1].encode() + b', "items": [' + items + b"]}"

    def _select(
        self,
        info: ResourceInfo,
        namespace: str,
        label_selector: str | None,
        field_selector: str | None,
        limit: int,
        continue_token: str | None,
    ) -> tuple[Sequence[JsonDict], JsonDict]:
        predicate = compile_selectors(label_selector, field_selector)
        objs = [o for o in self.storage.items(info.storage_key, namespace) if predicate(o)]
        start = decode_continue(continue_token)
        if start:
            objs = [o for o in objs if sort_key(o) > start]
        list_meta: JsonDict = {"resourceVersion": str(self.storage.rv)}
        if limit and len(objs) > limit:
            list_meta["continue"] = encode_continue(sort_key(objs[limit - 1]))
            list_meta["remainingItemCount"] = len(objs) - limit
            objs = objs[:limit]
        return objs, list_meta

    def watch(
        self,
        info: ResourceInfo,
        namespace: str = "",
        *,
        resource_version: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        send_initial_events: bool = False,
    ) -> Watcher:
        """Open a watch. No (or "0") resourceVersion: synthetic ADDED for what exists, then changes.

        With a resourceVersion, replay the history after it (410 Gone if compacted away). With
        ``send_initial_events`` (the WatchList protocol) also end the initial events with a BOOKMARK
        annotated ``k8s.io/initial-events-end``.
        """
        predicate = compile_selectors(label_selector, field_selector)
        watcher = Watcher(info.storage_key, namespace, predicate)
        if resource_version in (None, "", "0") or send_initial_events:
            for obj in self.storage.items(info.storage_key, namespace):
                if predicate(obj):
                    watcher.send("ADDED", obj)
        else:
            watcher.offer_many(self.storage.history.since(parse_rv(resource_version), info.storage_key))
        if send_initial_events:
            watcher.send("BOOKMARK", self.bookmark(info, initial_end=True))
        self.storage.add_watcher(watcher)
        return watcher

    def bookmark(self, info: ResourceInfo, *, initial_end: bool = False) -> JsonDict:
        """A BOOKMARK object carrying the current resourceVersion."""
        md: JsonDict = {"resourceVersion": str(self.storage.rv)}
        if initial_end:
            md["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {"kind": info.kind, "apiVersion": info.api_version, "metadata": md}

    def unwatch(self, watcher: Watcher) -> None:
        """Close a watch."""
        self.storage.remove_watcher(watcher)

    # create ------------------------------------------------------------------------------------------

    def create(
        self,
        info: ResourceInfo,
        namespace: str,
        body: Any,
        opts: WriteOptions | None = None,
        *,
        operation: str = "Update",
    ) -> WriteResult:
        """POST: a new object with server-owned metadata filled in."""
        opts = opts or WriteOptions()
        obj: JsonDict = clone(require_dict(body, "the object"))
        check_identity(info, obj, namespace if info.namespaced else "", None)
        md = meta(obj)
        self._assign_name(info, md)
        self._check_namespace(info, namespace)
        if self.storage.find(info.storage_key, namespace if info.namespaced else "", md["name"]) is not None:
            raise already_exists(info.plural, info.group, md["name"])
        self._init_metadata(info, obj)
        warnings = admission.admit(self.registry, info, obj, None, "", opts.field_validation)
        record_manager(info, obj, opts, operation, "", timestamp(self.clock))
        if opts.dry_run:
            return WriteResult(view(info, obj), warnings, created=True)
        committed = self.storage.commit(info.storage_key, "ADDED", obj, None)
        return WriteResult(view(info, committed), warnings, created=True)

    def _assign_name(self, info: ResourceInfo, md: JsonDict) -> None:
        if not md.get("name") and md.get("generateName"):
            suffix = "".join(self._rng.choice(NAME_ALPHABET) for _ in range(5))
            md["name"] = f"{md['generateName']}{suffix}"
        if not md.get("name"):
            cause = {
                "reason": "FieldValueRequired",
                "field": "metadata.name",
                "message": "Required value: name or generateName is required",
            }
            raise invalid(info.kind, info.group, "", [cause])
        check_name(info, str(md["name"]))

    def _check_namespace(self, info: ResourceInfo, namespace: str) -> None:
        if not info.namespaced:
            return
        if not namespace:
            raise bad_request("the server could not find the requested resource: namespace required")
        ns = self.storage.find(("", "namespaces"), "", namespace)
        if ns is None:
            raise not_found("namespaces", "", namespace)
        if meta(ns).get("deletionTimestamp"):
            raise forbidden(
                f'{info.plural} "{namespace}" is forbidden: unable to create new content in '
                f"namespace {namespace} because it is being terminated"
            )

    def _init_metadata(self, info: ResourceInfo, obj: JsonDict) -> None:
        md = meta(obj)
        for key in (*SERVER_METADATA, "resourceVersion", "selfLink"):
            md.pop(key, None)
        self._uid_counter += 1
        md["uid"] = f"{self._rng.getrandbits(32):08x}-0000-4000-8000-{self._uid_counter:012x}"
        md["creationTimestamp"] = timestamp(self.clock)
        md["generation"] = 1
        if info.has_status:
            obj.pop("status", None)
        if info.storage_key == ("", "pods"):
            obj["status"] = {"phase": "Pending"}
        if info.storage_key == ("", "namespaces"):
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {"phase": "Active"}

    # update and patch --------------------------------------------------------------------------------

    def update(
        self,
        info: ResourceInfo,
        namespace: str,
        name: str,
        body: Any,
        opts: WriteOptions | None = None,
        subresource: str = "",
    ) -> WriteResult:
        """PUT the whole object (or its status with ``subresource="status"``)."""
        opts = opts or WriteOptions()
        candidate: JsonDict = clone(require_dict(body, "the object"))
        check_identity(info, candidate, namespace if info.namespaced else "", name)
        old = self.storage.find(info.storage_key, namespace if info.namespaced else "", name)
        if old is None:
            raise not_found(info.plural, info.group, name)
        return self._finish_update(info, old, candidate, opts, subresource, "Update")

    def patch(
        self,
        info: ResourceInfo,
        namespace: str,
        name: str,
        content_type: str,
        patch: Any,
        opts: WriteOptions | None = None,
        subresource: str = "",
    ) -> WriteResult:
        """PATCH with any of the four patch types; apply creates the object if it is absent."""
        opts = opts or WriteOptions()
        if content_type not in patches.PATCH_TYPES:
            raise ApiError(
                415,
                f"the body of the request was in an unknown format - accepted media types "
                f"include: {', '.join(patches.PATCH_TYPES)}",
            )
        if content_type == patches.STRATEGIC and info.crd:
            raise ApiError(
                415, "strategic merge patch is not supported for custom resources; use merge patch"
            )
        old = self.storage.find(info.storage_key, namespace if info.namespaced else "", name)
        operation = "Apply" if content_type == patches.APPLY else "Update"
        if old is None and operation == "Apply" and not subresource:
            body = require_dict(patch, "the applied configuration")
            meta(body).setdefault("name", name)
            return self.create(info, namespace, body, opts, operation="Apply")
        if old is None:
            raise not_found(info.plural, info.group, name)
        seen_as = {**old, "apiVersion": info.api_version, "kind": info.kind}  # apply_patch copies it
        candidate = patches.apply_patch(content_type, seen_as, patch)
        check_identity(info, candidate, namespace if info.namespaced else "", name)
        return self._finish_update(info, old, candidate, opts, subresource, operation)

    def _finish_update(
        self,
        info: ResourceInfo,
        old: JsonDict,
        candidate: JsonDict,
        opts: WriteOptions,
        subresource: str,
        operation: str,
    ) -> WriteResult:
        new = carry_over(info, old, candidate, subresource)
        warnings = admission.admit(self.registry, info, new, old, subresource, opts.field_validation)
        check_finalizers(info, old, new)
        if same_but_bookkeeping(new, old):
            return WriteResult(view(info, old), warnings)
        if spec_part(info, new) != spec_part(info, old):
            meta(new)["generation"] = int(meta(old).get("generation") or 1) + 1
        record_manager(info, new, opts, operation, subresource, timestamp(self.clock))
        if opts.dry_run:
            return WriteResult(view(info, new), warnings)
        committed = self.storage.commit(info.storage_key, "MODIFIED", new, old)
        if meta(committed).get("deletionTimestamp") and not meta(committed).get("finalizers"):
            self.deleter.remove(info, committed)
        return WriteResult(view(info, committed), warnings)

    # delete ------------------------------------------------------------------------------------------

    def delete(
        self, info: ResourceInfo, namespace: str, name: str, opts: DeleteOptions | None = None
    ) -> JsonDict:
        """DELETE: see :meth:`Deleter.delete`."""
        return self.deleter.delete(info, namespace if info.namespaced else "", name, opts or DeleteOptions())

    def delete_collection(
        self,
        info: ResourceInfo,
        namespace: str,
        opts: DeleteOptions | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> JsonDict:
        """DELETE on a collection: deletes each selected object, returns the list of them."""
        listed = self.list(info, namespace, label_selector=label_selector, field_selector=field_selector)
        for obj in listed["items"]:
            md = meta(obj)
            self.deleter.delete(
                info, str(md.get("namespace") or ""), str(md["name"]), opts or DeleteOptions()
            )
        return listed
