"""When an InferenceService's next pass is due (pure), and which of its own events wake it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelyard.api.inferenceservice import InferenceServiceSpec, InferenceServiceStatus
from modelyard.core.rollout_timing import calculate_delay, calculate_next_pass, should_wake

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLL = timedelta(seconds=5)
SPEC = InferenceServiceSpec.model_validate({
    "model": {"modelVersion": "v2"},
    "rollout": {"steps": [{"setWeight": 20}, {"pause": {"duration": "90s"}}], "readyDeadline": "10m",
                "progressDeadline": "10m"},
    "analysis": {"interval": "2s", "metrics": [
        {"name": "errors", "threshold": {"max": 0.05}, "provider": {"builtin": {"metric": "errorRate"}}},
        {"name": "slow", "interval": "30s", "threshold": {"max": 0.5},
         "provider": {"builtin": {"metric": "latencyP99"}}}]},
})
SERVED = {"modelVersion": "v1", "digest": "sha256:" + "a" * 64, "uri": "file:///m"}


def status(**fields: Any) -> InferenceServiceStatus:
    return InferenceServiceStatus.model_validate({"stable": SERVED, **fields})


CANARY = {"canary": {**SERVED, "modelVersion": "v2"}, "canaryStarted": T0.isoformat(), "stepStarted": T0.isoformat()}


@pytest.mark.parametrize(("st", "settled", "now", "expected"), [
    (status(), True, T0, None),
    (status(), False, T0, T0 + POLL),
    (status(retiring=[{"modelVersion": "v0", "scaleDownAt": (T0 + timedelta(seconds=30)).isoformat()}]), True, T0,
     T0 + timedelta(seconds=30)),
    (status(**CANARY, currentStep=0, analysis={"started": T0.isoformat()}), False, T0, T0 + timedelta(seconds=2)),
    (status(**CANARY, currentStep=0, analysis={"started": T0.isoformat(), "metrics": [
        {"name": "errors", "last": {"metric": "errors", "verdict": "Successful", "time": T0.isoformat()}}]}),
     False, T0 + timedelta(seconds=1), T0 + timedelta(seconds=2)),
    (status(**CANARY, currentStep=0, analysis={"started": T0.isoformat(), "verdict": "Failed"}), False, T0,
     T0 + POLL),
    (status(**CANARY, currentStep=1), True, T0 + timedelta(seconds=60), T0 + timedelta(seconds=90)),
    (status(**CANARY, currentStep=1), True, T0 + timedelta(seconds=90), T0 + timedelta(minutes=10)),
], ids=["settled-nothing-due", "unsettled-polls", "retiring-scale-down", "first-measurement-after-one-interval",
        "next-measurement-per-metric", "finished-analysis-is-not-due", "pause-end", "past-instants-are-not-due"])
def test_next_pass(st: InferenceServiceStatus, settled: bool, now: datetime, expected: datetime | None) -> None:
    assert calculate_next_pass(SPEC, st, now, settled=settled, poll=POLL) == expected


@pytest.mark.parametrize(("due", "expected"), [
    (None, 300.0), (T0 + timedelta(seconds=3), 3.0), (T0 - timedelta(seconds=3), 0.05), (T0 + timedelta(days=1), 300.0),
], ids=["nothing-due-drift-check", "due-later", "overdue-floor", "far-away-ceiling"])
def test_delay(due: datetime | None, expected: float) -> None:
    assert calculate_delay(due, T0, floor=0.05, ceiling=300.0) == expected


@pytest.mark.parametrize(("meta", "st", "expected"), [
    ({"generation": 2}, {"observedGeneration": 1}, True),
    ({"generation": 2}, {"observedGeneration": 2}, False),
    ({"generation": 2, "annotations": {"modelyard.io/promote": "1"}}, {"observedGeneration": 2}, True),
    ({"generation": 2, "annotations": {"modelyard.io/promote": "1"}},
     {"observedGeneration": 2, "handled": {"promote": "1"}}, False),
    ({"generation": 2, "annotations": {"modelyard.io/abort": "x"}}, {"observedGeneration": 2}, True),
    ({"generation": 3, "deletionTimestamp": "2026-03-01T00:00:00Z"}, {"observedGeneration": 2}, False),
], ids=["new-generation", "own-status-write", "new-promote", "handled-promote", "new-abort", "being-deleted"])
def test_should_wake(meta: dict[str, Any], st: dict[str, Any], expected: bool) -> None:
    assert should_wake({"metadata": meta, "status": st}) is expected
