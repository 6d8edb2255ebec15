"""The last signature seen per watched object: which of its watch events change what a reader decides on.

In memory, a hint: after a restart every object counts as changed once (its first sighting).
"""

from __future__ import annotations

from collections.abc import Hashable


class Signals:
    def __init__(self) -> None:
        self._seen: dict[str, Hashable] = {}

    def changed(self, source: str, signature: Hashable | None, *, first: bool = True) -> bool:
        """Whether ``source`` changed since its last event (``signature`` None: it is gone, which counts), and
        remember it. A first sighting counts only with ``first`` (not for an object the reader made itself)."""
        seen = self._seen.get(source)
        if signature is None:
            self._seen.pop(source, None)
            return True
        if seen == signature:
            return False
        self._seen[source] = signature
        return seen is not None or first

    def remember(self, source: str, signature: Hashable) -> None:
        """What a reader decided on, so an event carrying exactly that is no change."""
        self._seen[source] = signature
