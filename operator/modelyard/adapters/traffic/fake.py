"""A router for tests: remembers every routing it was asked for; its weight is the last one applied."""

from __future__ import annotations

from modelyard.adapters.traffic.base import Routing


class FakeRouter:
    def __init__(self) -> None:
        self.applied: list[Routing] = []

    async def apply(self, routing: Routing) -> None:
        self.applied.append(routing)

    async def observe_weight(self, routing: Routing) -> int | None:
        return self.applied[-1].weight if self.applied else None

    @property
    def weights(self) -> list[int]:
        return [r.weight for r in self.applied]
