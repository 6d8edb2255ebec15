"""The change log behind watches: a bounded history of events and the watchers that follow it.

Like etcd plus the watch cache: every write gets the next global resourceVersion and one event; a watch
may start from any resourceVersion still in the (bounded) history, and older ones get ``410 Gone``
("too old resource version"), which clients answer by re-listing.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from modelyard.sandbox.errors import gone
from modelyard.sandbox.objects import clone

JsonDict = dict[str, Any]
StorageKey = tuple[str, str]


@dataclass(frozen=True)
class Event:
    """One change: ``ADDED``, ``MODIFIED``, ``DELETED`` (or ``BOOKMARK``/``ERROR`` on the wire)."""

    type: str
    rv: int
    key: StorageKey
    obj: JsonDict
    old: JsonDict | None = None

    @property
    def namespace(self) -> str:
        """The namespace of the object, "" when cluster-scoped."""
        return str(self.obj.get("metadata", {}).get("namespace") or "")


class History:
    """A bounded, ordered log of events."""

    def __init__(self, size: int) -> None:
        self._events: collections.deque[Event] = collections.deque(maxlen=size)
        self.compacted_rv = 0

    def append(self, event: Event) -> None:
        """Record an event, forgetting the oldest one when full."""
        if self._events.maxlen is not None and len(self._events) == self._events.maxlen:
            self.compacted_rv = self._events[0].rv
        self._events.append(event)

    def since(self, rv: int, key: StorageKey) -> list[Event]:
        """Events of one storage after ``rv``; 410 Gone if some were forgotten."""
        if rv < self.compacted_rv:
            raise gone(rv, self.compacted_rv + 1)
        return [e for e in self._events if e.rv > rv and e.key == key]


Predicate = Callable[[JsonDict], bool]


class Watcher:
    """One watch stream's queue, with its namespace and selector filter.

    A modification that moves an object into the selection is sent as ``ADDED``, out of it as
    ``DELETED``, as the real server's watch cache does.
    """

    def __init__(self, key: StorageKey, namespace: str, predicate: Predicate) -> None:
        self.key = key
        self.namespace = namespace
        self.predicate = predicate
        self.queue: asyncio.Queue[tuple[str, JsonDict] | None] = asyncio.Queue()
        self.closed = False

    def _translate(self, event: Event) -> str | None:
        if self.namespace and event.namespace != self.namespace:
            return None
        now = self.predicate(event.obj)
        if event.type != "MODIFIED" or event.old is None:
            return event.type if now else None
        before = self.predicate(event.old)
        if now and before:
            return "MODIFIED"
        if now:
            return "ADDED"
        return "DELETED" if before else None

    def offer(self, event: Event) -> None:
        """Queue an event if it concerns this watch."""
        if self.closed:
            return
        kind = self._translate(event)
        if kind:
            self.queue.put_nowait((kind, event.obj))

    def offer_many(self, events: Iterable[Event]) -> None:
        """Queue several events in order."""
        for event in events:
            self.offer(event)

    def send(self, kind: str, obj: JsonDict) -> None:
        """Queue a raw event (synthetic ADDED, BOOKMARK, ERROR)."""
        if not self.closed:
            self.queue.put_nowait((kind, obj))

    def close(self) -> None:
        """End the stream: the consumer sees the end after the queued events."""
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[tuple[str, JsonDict]]:
        while (item := await self.queue.get()) is not None:
            yield item[0], clone(item[1])
