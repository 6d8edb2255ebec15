"""The raw state under the store: objects, the global resourceVersion, history, watchers, listeners.

Everything here is synchronous and runs on the event loop thread, so a write and the fan-out of its
event are atomic: a watch registered between two writes can never miss or duplicate an event.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from modelyard.sandbox.events import Event, History, StorageKey, Watcher
from modelyard.sandbox.objects import clone, meta

JsonDict = dict[str, Any]
Listener = Callable[[Event], None]
ObjKey = tuple[str, str]

log = logging.getLogger(__name__)
ENCODED_CACHE_SIZE = 10_000


class Storage:
    """Objects by storage key and (namespace, name), with a change log."""

    def __init__(self, history_size: int = 10_000) -> None:
        self.rv = 1
        self.history = History(history_size)
        self._objects: dict[StorageKey, dict[ObjKey, JsonDict]] = {}
        self._uids: dict[str, tuple[StorageKey, ObjKey]] = {}
        self._watchers: dict[StorageKey, set[Watcher]] = {}
        self._listeners: list[Listener] = []
        self._encoded: dict[int, tuple[JsonDict, str, bytes]] = {}

    # reads -------------------------------------------------------------------------------------------

    def find(self, key: StorageKey, namespace: str, name: str) -> JsonDict | None:
        """The stored object (not a copy: callers must not mutate it)."""
        return self._objects.get(key, {}).get((namespace, name))

    def items(self, key: StorageKey, namespace: str = "") -> list[JsonDict]:
        """Stored objects of one storage, optionally in one namespace, sorted by (namespace, name)."""
        table = self._objects.get(key, {})
        return [table[k] for k in sorted(table) if not namespace or k[0] == namespace]

    def all_objects(self) -> Iterator[tuple[StorageKey, JsonDict]]:
        """Every stored object with its storage key (a snapshot, safe to write while iterating)."""
        for key, table in list(self._objects.items()):
            for obj in list(table.values()):
                yield key, obj

    def encode(self, obj: JsonDict, api_version: str, kind: str) -> bytes:
        """A stored object (or an event's) as JSON seen through one version, serialised once per revision.

        Stored objects are never mutated (every write stores a new dict), so the bytes are cached by the
        object's identity and shared by GETs, LISTs and every watcher of its event (bounded, oldest out).
        """
        hit = self._encoded.get(id(obj))
        if hit is not None and hit[0] is obj and hit[1] == api_version:
            return hit[2]
        seen = obj if obj.get("apiVersion") == api_version and obj.get("kind") == kind else {
            **obj, "apiVersion": api_version, "kind": kind}
        data = json.dumps(seen).encode()
        if len(self._encoded) >= ENCODED_CACHE_SIZE:
            del self._encoded[next(iter(self._encoded))]
        self._encoded[id(obj)] = (obj, api_version, data)
        return data

    def uid_exists(self, uid: str) -> bool:
        """Whether an object with this uid is stored."""
        return uid in self._uids

    # writes ------------------------------------------------------------------------------------------

    def commit(self, key: StorageKey, event_type: str, obj: JsonDict, old: JsonDict | None) -> JsonDict:
        """Store (or remove, for DELETED) a copy of an object with the next resourceVersion; emit its event.

        Returns the stored object itself: callers must not mutate it (copy it with ``view``).
        """
        self.rv += 1
        obj = clone(obj)
        md = meta(obj)
        md["resourceVersion"] = str(self.rv)
        objkey = (str(md.get("namespace") or ""), str(md["name"]))
        table = self._objects.setdefault(key, {})
        if event_type == "DELETED":
            table.pop(objkey, None)
            self._uids.pop(str(md.get("uid")), None)
        else:
            table[objkey] = obj
            self._uids[str(md["uid"])] = (key, objkey)
        self._emit(Event(event_type, self.rv, key, obj, old))
        return obj

    def _emit(self, event: Event) -> None:
        self.history.append(event)
        for watcher in list(self._watchers.get(event.key, ())):
            watcher.offer(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("sandbox store listener failed on %s %s", event.type, event.key)

    # watchers and listeners --------------------------------------------------------------------------

    def add_watcher(self, watcher: Watcher) -> None:
        """Start delivering events to a watcher."""
        self._watchers.setdefault(watcher.key, set()).add(watcher)

    def remove_watcher(self, watcher: Watcher) -> None:
        """Stop delivering events to a watcher and close it."""
        self._watchers.get(watcher.key, set()).discard(watcher)
        watcher.close()

    def watchers(self) -> list[Watcher]:
        """All open watchers."""
        return [w for ws in self._watchers.values() for w in ws]

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` synchronously after every committed event; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None
