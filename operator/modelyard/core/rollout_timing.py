"""When an InferenceService needs its next pass (pure): requeue at the decision's own time.

A rollout waits on two kinds of things. On time: the next analysis measurement, the end of a timed pause,
a ready or progress deadline, a retiring version's scale-down. On the world: pods becoming ready, a new
ModelVersion, a spec change; those wake the loop through watch events (``controller.wakeups``), and while a
service is unsettled it is also polled at the resync interval, so a missed event costs latency only.
A settled service has nothing due: it waits for an event (or the drift check).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from modelyard.api.inferenceservice import InferenceServiceSpec, InferenceServiceStatus
from modelyard.core.analysis import Verdict
from modelyard.core.rollout_summary import ABORT, PROMOTE
from modelyard.core.steps import parse_duration


def calculate_next_pass(
    spec: InferenceServiceSpec, status: InferenceServiceStatus, now: datetime, *, settled: bool, poll: timedelta
) -> datetime | None:
    """The earliest instant after ``now`` something in ``status`` is due (what was due by ``now`` was decided
    by the pass that computed this); no later than ``now + poll`` while unsettled. None: nothing is due
    until something changes."""
    due = [d for d in (*_analysis_due(spec, status), *_step_due(spec, status),
                       *(r.scale_down_at for r in status.retiring)) if d > now]
    if not settled:
        due.append(now + poll)
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
    ``ceiling`` (the drift check of a settled service)."""
    if next_pass is None:
        return ceiling
    return max(floor, min(ceiling, (next_pass - now).total_seconds()))


def should_wake(body: Mapping[str, Any]) -> bool:
    """Whether a watch event of the InferenceService itself asks for a pass: a generation the status has not
    seen, or a promote/abort annotation not handled yet (its own status writes do not)."""
    meta, status = body.get("metadata") or {}, body.get("status") or {}
    if meta.get("deletionTimestamp"):
        return False
    if status.get("observedGeneration") != meta.get("generation"):
        return True
    annotations, handled = meta.get("annotations") or {}, status.get("handled") or {}
    return any(annotations.get(a) is not None and annotations.get(a) != handled.get(k)
               for a, k in ((PROMOTE, "promote"), (ABORT, "abort")))
