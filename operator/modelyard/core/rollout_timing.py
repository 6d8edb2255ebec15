"""When an InferenceService needs its next pass (pure): requeue at the decision's own time.

A rollout waits on two kinds of things. On time: the next analysis measurement, the end of a timed pause,
a ready or progress deadline, a retiring version's scale-down. On the world: pods becoming ready, a new
ModelVersion, a spec change; those wake the loop through watch events (``controller.wakeups``), and while a
service is unsettled it is also polled at the resync interval, so a missed event costs latency only.
A settled service has nothing due: it waits for an event (or the drift check).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from modelyard.api.inferenceservice import InferenceServiceSpec, InferenceServiceStatus
from modelyard.core.analysis import Verdict
from modelyard.core.rollout_summary import ABORT, PROMOTE
from modelyard.core.steps import parse_duration


def calculate_next_pass(spec: InferenceServiceSpec, status: InferenceServiceStatus, now: datetime) -> datetime | None:
    """The earliest instant after ``now`` something in ``status`` is due (what was due by ``now`` was decided
    by the pass that computed this). None: nothing is due until something changes."""
    due = [d for d in (*_analysis_due(spec, status), *_step_due(spec, status),
                       *(r.scale_down_at for r in status.retiring)) if d > now]
    return min(due) if due else None


def _analysis_due(spec: InferenceServiceSpec, status: InferenceServiceStatus) -> list[datetime]:
    analysis = status.analysis
    if status.canary is None or analysis is None or analysis.started is None or analysis.verdict != Verdict.RUNNING:
        return []
    last = {m.name: m.last.time for m in analysis.metrics if m.last is not None}
    return [last.get(m.name, analysis.started) + parse_duration(m.interval or spec.analysis.interval)
            for m in spec.analysis.metrics]


def _step_due(spec: InferenceServiceSpec, status: InferenceServiceStatus) -> list[datetime]:
    """The end of a timed pause, and the ready and progress deadlines of a canary."""
    if status.canary is None:
        return []
    due = []
    started, step = status.step_started, status.current_step or 0
    if started is not None and step < len(spec.rollout.steps):
        pause = spec.rollout.steps[step].pause
        if pause is not None and pause.duration is not None:
            due.append(started + parse_duration(pause.duration))
        due.append(started + parse_duration(spec.rollout.progress_deadline))
    if status.canary_started is not None:
        due.append(status.canary_started + parse_duration(spec.rollout.ready_deadline))
    return due


def calculate_delay(next_pass: datetime | None, now: datetime, *, floor: float, ceiling: float) -> float:
    """Seconds to wait for ``next_pass`` (real clock ``now``): at least ``floor`` (never a busy loop), at most
    ``ceiling`` (the poll of an unsettled service, the drift check of a settled one). The ceiling is counted
    on the real clock: decisions see whole seconds, and a poll added to a truncated ``now`` could already
    be past (a busy loop with sub-second polls)."""
    if next_pass is None:
        return ceiling
    return max(floor, min(ceiling, (next_pass - now).total_seconds()))


def calculate_service_signal(body: Mapping[str, Any], event_type: str | None = None) -> tuple[Any, ...] | None:
    """What a pass of an InferenceService decides on of the object itself: its spec generation and rollout
    commands. Its own status writes and kopf's bookkeeping do not change it. None when it is gone."""
    if event_type == "DELETED":
        return None
    meta = body.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    return (meta.get("uid"), meta.get("generation"), annotations.get(PROMOTE), annotations.get(ABORT),
            bool(meta.get("deletionTimestamp")))


def calculate_deployment_signal(body: Mapping[str, Any], event_type: str | None) -> tuple[Any, ...] | None:
    """What a serving Deployment's readers decide on: its size (the HPA's, under autoscaling) and its ready
    pods; its other status fields (updated, available, conditions) move in between and wake nobody. None
    when it is gone."""
    if event_type == "DELETED":
        return None
    meta, spec, status = body.get("metadata") or {}, body.get("spec") or {}, body.get("status") or {}
    return (spec.get("replicas"), status.get("readyReplicas"), bool(meta.get("deletionTimestamp")))


def calculate_modelversion_signal(body: Mapping[str, Any], event_type: str | None) -> tuple[Any, ...] | None:
    """What an InferenceService decides on of a ModelVersion (not who serves it: its own doing); None: gone."""
    if event_type == "DELETED":
        return None
    meta, status = body.get("metadata") or {}, body.get("status") or {}
    stalled = [c.get("status") for c in status.get("conditions") or [] if isinstance(c, Mapping)
               and c.get("type") == "Stalled"]
    return (meta.get("generation"), status.get("phase"), tuple(stalled), bool(meta.get("deletionTimestamp")),
            json.dumps(body.get("spec"), sort_keys=True, default=str))


def is_same_input(read: Mapping[str, Any], fresh: Mapping[str, Any]) -> bool:
    """Whether a pass that decided on ``read`` decided on what ``fresh`` holds too: the same object, spec
    generation, status and rollout commands (other metadata, such as kopf's finalizer, is not an input)."""
    def inputs(body: Mapping[str, Any]) -> tuple[Any, ...]:
        meta = body.get("metadata") or {}
        annotations = meta.get("annotations") or {}
        return (meta.get("uid"), meta.get("generation"), bool(meta.get("deletionTimestamp")),
                annotations.get(PROMOTE), annotations.get(ABORT), body.get("status"))
    return inputs(read) == inputs(fresh)
