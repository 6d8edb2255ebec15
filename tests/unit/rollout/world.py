"""Given/When/Then helpers for the rollout state machine: a world the test drives tick by tick.

The status goes through its wire form (camelCase JSON) between ticks, as it does through the API
server, so every tick is also a restart: nothing survives from one call to the next but the status.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from modelyard.api.inferenceservice import InferenceServiceSpec, InferenceServiceStatus
from modelyard.core.actions import EmitEvent
from modelyard.core.conditions import find_condition
from modelyard.core.measurement import Measurement
from modelyard.core.registry import VersionRecord
from modelyard.core.rollout import Observed, PodHealth, RolloutDecision, decide_rollout
from modelyard.core.steps import calculate_canary_replicas, calculate_step_weight

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(name: str, metrics: dict[str, float] | None = None, created: str = "2026-03-01T00:00:00Z",
           **kw: Any) -> VersionRecord:
    return VersionRecord(name=name, namespace="ml", uid=f"uid-{name}", model="iris", version=name.split("-")[-1],
                         created=created, uri=f"file:///models/{name}", digest="sha256:" + "a" * 64,
                         format="sklearn", phase=kw.pop("phase", "Ready"), metrics=metrics or {}, **kw)


@dataclass
class World:
    spec: InferenceServiceSpec
    status: InferenceServiceStatus = field(default_factory=InferenceServiceStatus)
    now: datetime = T0
    generation: int = 1
    desired: VersionRecord | None = None
    stable_metrics: dict[str, float] | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    total: int = 4
    canary_failing: str | None = None
    canary_ready_override: int | None = None
    stable_ready: int | None = None
    events: list[EmitEvent] = field(default_factory=list)
    last: RolloutDecision | None = None
    last_observed: Observed | None = None

    @classmethod
    def of(cls, **spec: Any) -> World:
        return cls(spec=InferenceServiceSpec.model_validate(spec))

    def observed(self, measurements: tuple[Measurement, ...] = ()) -> Observed:
        canary_ready = self.canary_ready_override
        if canary_ready is None:  # pods become ready as soon as they are asked for
            weight = calculate_step_weight(self.spec.rollout.steps, self.status.current_step or 0)
            canary_ready = calculate_canary_replicas(self.total, weight) if self.status.canary else 0
        return Observed(
            generation=self.generation, total_replicas=self.total, desired=self.desired,
            waiting=None if self.desired else "no version", stable_metrics=self.stable_metrics,
            stable=PodHealth(ready=self.total if self.stable_ready is None else self.stable_ready),
            canary=PodHealth(ready=canary_ready, failing=self.canary_failing), measurements=measurements,
            annotations=self.annotations, url="http://iris.ml.svc.cluster.local",
        )

    def tick(self, *measurements: Measurement, after: float = 0) -> RolloutDecision:
        self.now += timedelta(seconds=after)
        self.last_observed = self.observed(measurements)
        self.last = decide_rollout(self.spec, self.status, self.last_observed, self.now)
        self.status = InferenceServiceStatus.model_validate(self.last.status.to_wire())  # through the wire
        self.events += self.last.events
        return self.last

    def wait(self, seconds: float) -> World:
        self.now += timedelta(seconds=seconds)
        return self

    def measure(self, value: float | None, requests: float | None = 100, error: str | None = None,
                name: str = "errors") -> Measurement:
        return Measurement(name, self.now, value=value, requests=requests, error=error)

    def edit(self, **spec: Any) -> None:
        data = self.spec.model_dump(by_alias=True, exclude_none=True)
        for key, value in spec.items():
            data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
        self.spec = InferenceServiceSpec.model_validate(data)
        self.generation += 1

    def condition(self, type_: str) -> tuple[str, str] | None:
        c = find_condition(self.status.conditions, type_)
        return None if c is None else (c.status, c.reason)

    @property
    def reasons(self) -> list[str]:
        return [e.reason for e in self.events]

    def copy(self) -> World:
        return replace(self, events=list(self.events))
