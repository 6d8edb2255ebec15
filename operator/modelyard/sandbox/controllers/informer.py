"""List + watch over HTTP into a local cache, as client-go's informers do; and a deduplicating work queue.

The simulated controllers are API clients like real ones: they see the cluster only through the API
server (so fault injection, dropped watches and 410 Gone hit them as they would hit a real controller).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import aiohttp

from modelyard.adapters.kube import ApiError, Connection, KubeClient, Ref

JsonDict = dict[str, Any]
Key = tuple[str, str]
Listener = Callable[[str, JsonDict], None]
IndexFn = Callable[[JsonDict], "Iterable[Hashable]"]
log = logging.getLogger(__name__)


class Gone(Exception):
    """The watch's resourceVersion is too old: list again."""


def key_of(obj: JsonDict) -> Key:
    md = obj.get("metadata", {})
    return md.get("namespace") or "", md.get("name", "")


def _rv(obj: JsonDict) -> int:
    raw = obj.get("metadata", {}).get("resourceVersion", "0")
    return int(raw) if str(raw).isdigit() else 0


class Informer:
    """A cache of one resource kind, kept current by list + watch; listeners hear every change."""

    def __init__(self, kube: KubeClient, conn: Connection, ref: Ref, *, watch_timeout: int = 60) -> None:
        self.ref = ref
        self.cache: dict[Key, JsonDict] = {}
        self.synced = asyncio.Event()
        self._kube, self._conn, self._timeout = kube, conn, watch_timeout
        self._listeners: list[Listener] = []
        # Indexes, as client-go's Indexers: name -> value -> the cached objects it names (by key).
        self._index_fns: dict[str, IndexFn] = {"namespace": lambda o: (key_of(o)[0],)}
        self._indexes: dict[str, dict[Hashable, dict[Key, JsonDict]]] = {"namespace": {}}

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def add_index(self, name: str, fn: IndexFn) -> None:
        """Index the cache by ``fn(obj)`` (any number of values per object); look up with :meth:`indexed`."""
        self._index_fns[name], self._indexes[name] = fn, {}
        for key, obj in self.cache.items():
            self._index(name, key, obj)

    def indexed(self, name: str, value: Hashable) -> list[JsonDict]:
        return list(self._indexes[name].get(value, {}).values())

    def items(self, namespace: str | None = None) -> list[JsonDict]:
        if namespace is None:
            return list(self.cache.values())
        return self.indexed("namespace", namespace)

    def store(self, obj: JsonDict) -> None:
        """Take a write's answer into the cache at once (unless the cache already holds a newer one)."""
        old = self.cache.get(key_of(obj))
        if old is None or _rv(obj) >= _rv(old):
            self._put(key_of(obj), obj)

    def forget(self, key: Key) -> None:
        self._drop(key)

    def _put(self, key: Key, obj: JsonDict) -> None:
        self._drop(key)
        self.cache[key] = obj
        for name in self._index_fns:
            self._index(name, key, obj)

    def _drop(self, key: Key) -> None:
        old = self.cache.pop(key, None)
        if old is None:
            return
        for name, fn in self._index_fns.items():
            table = self._indexes[name]
            for value in fn(old):
                bucket = table.get(value)
                if bucket is not None:
                    bucket.pop(key, None)
                    if not bucket:
                        del table[value]

    def _index(self, name: str, key: Key, obj: JsonDict) -> None:
        table = self._indexes[name]
        for value in self._index_fns[name](obj):
            table.setdefault(value, {})[key] = obj

    async def run(self) -> None:
        """List, then watch from the list's resourceVersion; relist on 410; retry errors with backoff."""
        delay = 0.05
        async with aiohttp.ClientSession(headers=self._conn.headers) as session:
            while True:
                try:
                    rv = await self._relist()
                    while True:
                        rv = await self._watch(session, rv)
                        delay = 0.05
                except Gone:
                    continue
                except (ApiError, aiohttp.ClientError, OSError, TimeoutError, ValueError) as e:
                    log.debug("informer %s: %s; retrying in %.2fs", self.ref.plural, e, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2.0)

    async def _relist(self) -> str:
        answer = await self._kube.request("GET", self.ref.path())
        fresh = {key_of(o): o for o in answer.get("items", [])}
        gone = [self.cache[k] for k in self.cache if k not in fresh]
        for key in list(self.cache):
            self._drop(key)
        for key, obj in fresh.items():
            self._put(key, obj)
        for obj in gone:
            self._emit("DELETED", obj)
        for obj in fresh.values():
            self._emit("ADDED", obj)
        self.synced.set()
        rv: str = answer.get("metadata", {}).get("resourceVersion", "")
        return rv

    async def _watch(self, session: aiohttp.ClientSession, rv: str) -> str:
        params = {"watch": "true", "resourceVersion": rv, "allowWatchBookmarks": "true",
                  "timeoutSeconds": str(self._timeout)}
        timeout = aiohttp.ClientTimeout(total=self._timeout + 10, sock_read=self._timeout + 10)
        url = self._conn.server + self.ref.path()
        async with session.get(url, params=params, timeout=timeout, ssl=self._conn.ssl) as resp:
            if resp.status == 410:
                raise Gone()
            if resp.status >= 400:
                raise ApiError(resp.status, "WatchFailed", (await resp.text())[:300])
            async for line in resp.content:
                if line.strip():
                    rv = self._on_event(json.loads(line), rv)
        return rv

    def _on_event(self, event: JsonDict, rv: str) -> str:
        kind, obj = event.get("type", ""), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise Gone()
            raise ApiError(int(obj.get("code", 500)), obj.get("reason", "WatchError"), obj.get("message", ""))
        new_rv: str = obj.get("metadata", {}).get("resourceVersion", rv)
        if kind == "BOOKMARK":
            return new_rv
        if kind == "DELETED":
            self._drop(key_of(obj))
        else:
            self._put(key_of(obj), obj)
        self._emit(kind, obj)
        return new_rv

    def _emit(self, kind: str, obj: JsonDict) -> None:
        for listener in self._listeners:
            try:
                listener(kind, obj)
            except Exception:  # a listener's bug must not kill the watch
                log.exception("informer %s: listener failed", self.ref.plural)


class WorkQueue:
    """Keys to reconcile: each key at most once in the queue; delayed adds for "look again later"."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Hashable] = asyncio.Queue()
        self._pending: set[Hashable] = set()
        self._timers: dict[Hashable, asyncio.TimerHandle] = {}

    def add(self, key: Hashable) -> None:
        if key not in self._pending:
            self._pending.add(key)
            self._queue.put_nowait(key)

    def add_after(self, key: Hashable, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        old = self._timers.pop(key, None)
        loop = asyncio.get_running_loop()
        when = loop.time() + delay
        if old is not None and old.when() < when:
            self._timers[key] = old
            return
        if old is not None:
            old.cancel()
        self._timers[key] = loop.call_at(when, self._fire, key)

    def _fire(self, key: Hashable) -> None:
        self._timers.pop(key, None)
        self.add(key)

    async def get(self) -> Hashable:
        key = await self._queue.get()
        self._pending.discard(key)
        return key

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        with contextlib.suppress(Exception):
            while True:
                self._queue.get_nowait()
