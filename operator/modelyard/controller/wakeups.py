"""Who to wake when something an InferenceService depends on changes (in memory: hints, never state).

Each InferenceService's rollout loop subscribes to the topics it reads: its own Deployments, the model it
tracks, the ModelVersion it pins. Watch handlers poke a topic; every loop subscribed to it runs a pass now
instead of at its next due time. A lost poke costs latency, never correctness: every loop also runs when
something in its status is due and, while unsettled, at the resync interval.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Hashable, Iterable

from modelyard.controller.signals import Signals

Key = tuple[str, str]  # (namespace, name) of an InferenceService


def service_topic(namespace: str, name: str) -> str:
    """An InferenceService's own topic: its Deployments' events (by their instance label) and spec changes."""
    return f"service:{namespace}/{name}"


def service_source(namespace: str, name: str) -> str:
    """The identity of an InferenceService as a watched object (its own events)."""
    return f"inferenceservice:{namespace}/{name}"


def model_topic(namespace: str, model: str) -> str:
    """Any ModelVersion of ``model`` changed (a tracked model may have a new candidate)."""
    return f"model:{namespace}/{model}"


def version_topic(namespace: str, name: str) -> str:
    """One ModelVersion changed (a pinned version may have become Ready, or be deleted)."""
    return f"version:{namespace}/{name}"


class Wakeups:
    """Topic -> the loops to wake; one ``asyncio.Event`` per loop."""

    def __init__(self) -> None:
        self._events: dict[Key, asyncio.Event] = {}
        self._topics: dict[Key, frozenset[str]] = {}
        self._subscribers: defaultdict[str, set[Key]] = defaultdict(set)
        self.signals = Signals()  # what each watched object last looked like to its readers

    def register(self, key: Key) -> asyncio.Event:
        """The event a loop waits on (the same one for the same key, so a restarted loop keeps its pokes)."""
        return self._events.setdefault(key, asyncio.Event())

    def subscribe(self, key: Key, topics: Iterable[str]) -> None:
        """Replace what ``key`` listens to."""
        new = frozenset(topics)
        old = self._topics.get(key, frozenset())
        for topic in old - new:
            self._unsubscribe(topic, key)
        for topic in new - old:
            self._subscribers[topic].add(key)
        self._topics[key] = new

    def unregister(self, key: Key) -> None:
        """Forget ``key``: its loop has ended."""
        self.subscribe(key, ())
        self._topics.pop(key, None)
        self._events.pop(key, None)

    def poke(self, topic: str) -> int:
        """Wake every loop subscribed to ``topic``; how many."""
        keys = self._subscribers.get(topic, ())
        for key in keys:
            event = self._events.get(key)
            if event is not None:
                event.set()
        return len(keys)

    def poke_if_changed(self, source: str, signature: Hashable | None, topics: Iterable[str], *,
                        first: bool = True) -> int:
        """Poke ``topics`` when the watched object ``source`` changed in what its readers decide on
        (``signature``; None: it is gone). Its other writes (say, a status field nobody reads) wake nobody;
        neither does its first sighting unless ``first`` (an object the reader created itself, say)."""
        if not self.signals.changed(source, signature, first=first):
            return 0
        return sum(self.poke(topic) for topic in topics)

    def remember(self, source: str, signature: Hashable) -> None:
        """What a reader decided on, so an event carrying exactly that wakes nobody."""
        self.signals.remember(source, signature)

    def subscribed(self, topic: str) -> frozenset[Key]:
        return frozenset(self._subscribers.get(topic, ()))

    def _unsubscribe(self, topic: str, key: Key) -> None:
        keys = self._subscribers.get(topic)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._subscribers[topic]
