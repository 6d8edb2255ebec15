"""When an InferenceService's next pass is due (pure), and which of its own events wake it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelyard.api.inferenceservice import InferenceServiceSpec, InferenceServiceStatus
from modelyard.controller.wakeups import Wakeups
from modelyard.core.rollout_timing import (
    calculate_delay,
    calculate_deployment_signal,
    calculate_modelversion_signal,
    calculate_next_pass,
    calculate_service_signal,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
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


@pytest.mark.parametrize(("st", "now", "expected"), [
    (status(), T0, None),
    (status(retiring=[{"modelVersion": "v0", "scaleDownAt": (T0 + timedelta(seconds=30)).isoformat()}]), T0,
     T0 + timedelta(seconds=30)),
    (status(**CANARY, currentStep=0, analysis={"started": T0.isoformat()}), T0, T0 + timedelta(seconds=2)),
    (status(**CANARY, currentStep=0, analysis={"started": T0.isoformat(), "metrics": [
        {"name": "errors", "last": {"metric": "errors", "verdict": "Successful", "time": T0.isoformat()}}]}),
     T0 + timedelta(seconds=1), T0 + timedelta(seconds=2)),
    (status(**CANARY, currentStep=0, analysis={"started": T0.isoformat(), "verdict": "Failed"}), T0,
     T0 + timedelta(minutes=10)),
    (status(**CANARY, currentStep=1), T0 + timedelta(seconds=60), T0 + timedelta(seconds=90)),
    (status(**CANARY, currentStep=1), T0 + timedelta(seconds=90), T0 + timedelta(minutes=10)),
], ids=["nothing-due", "retiring-scale-down", "first-measurement-after-one-interval",
        "next-measurement-per-metric", "finished-analysis-only-deadlines", "pause-end", "past-instants-are-not-due"])
def test_next_pass(st: InferenceServiceStatus, now: datetime, expected: datetime | None) -> None:
    assert calculate_next_pass(SPEC, st, now) == expected


@pytest.mark.parametrize(("due", "ceiling", "expected"), [
    (None, 300.0, 300.0), (T0 + timedelta(seconds=3), 300.0, 3.0), (T0 - timedelta(seconds=3), 300.0, 0.05),
    (T0 + timedelta(days=1), 300.0, 300.0), (None, 0.2, 0.2), (T0 + timedelta(seconds=3), 0.2, 0.2),
], ids=["nothing-due-drift-check", "due-later", "overdue-floor", "far-away-ceiling", "unsettled-polls",
        "poll-sooner-than-due"])
def test_delay(due: datetime | None, ceiling: float, expected: float) -> None:
    assert calculate_delay(due, T0, floor=0.05, ceiling=ceiling) == expected


@pytest.mark.parametrize(("meta", "event", "same"), [
    ({"generation": 1, "finalizers": ["modelyard.io/finalizer"]}, "MODIFIED", True),
    ({"generation": 1, "labels": {"team": "a"}}, "MODIFIED", True),
    ({"generation": 2}, "MODIFIED", False),
    ({"generation": 1, "annotations": {"modelyard.io/promote": "1"}}, "MODIFIED", False),
    ({"generation": 1, "annotations": {"modelyard.io/abort": "x"}}, "MODIFIED", False),
    ({"generation": 1, "deletionTimestamp": "2026-03-01T00:00:00Z"}, "MODIFIED", False),
], ids=["kopf-finalizer", "label", "new-generation", "promote", "abort", "being-deleted"])
def test_a_service_event_wakes_its_loop_only_for_what_a_pass_decides_on(
        meta: dict[str, Any], event: str, same: bool) -> None:
    decided = calculate_service_signal({"metadata": {"generation": 1}, "status": {"phase": "Healthy"}})
    assert (calculate_service_signal({"metadata": meta, "status": {"phase": "Progressing"}}, event) == decided) is same


DEPLOY = {"metadata": {"generation": 1}, "spec": {"replicas": 2}, "status": {"observedGeneration": 1, "replicas": 2}}


@pytest.mark.parametrize(("after", "event", "wakes"), [
    ({**DEPLOY, "status": {**DEPLOY["status"], "readyReplicas": 1}}, "MODIFIED", True),
    ({**DEPLOY, "status": {**DEPLOY["status"], "conditions": [{"type": "Available"}]}}, "MODIFIED", False),
    ({**DEPLOY, "status": {**DEPLOY["status"], "updatedReplicas": 2}}, "MODIFIED", False),
    ({**DEPLOY, "spec": {"replicas": 3}}, "MODIFIED", True),
    (DEPLOY, "DELETED", True),
], ids=["became-ready", "condition-text-only", "rolled-out-not-ready-yet", "scaled", "deleted"])
def test_a_deployment_wakes_its_service_only_when_readiness_or_size_changes(
        after: dict[str, Any], event: str, wakes: bool) -> None:
    wakeups = Wakeups()
    wakeups.register(("ml", "iris"))
    wakeups.subscribe(("ml", "iris"), ["service:ml/iris"])
    first = wakeups.poke_if_changed("d", calculate_deployment_signal(DEPLOY, "ADDED"), ["service:ml/iris"])
    again = wakeups.poke_if_changed("d", calculate_deployment_signal(after, event), ["service:ml/iris"])
    assert (first, bool(again)) == (1, wakes)


MV = {"metadata": {"generation": 1}, "spec": {"model": "iris", "version": "1"}, "status": {"phase": "Pending"}}


@pytest.mark.parametrize(("after", "changed"), [
    ({**MV, "status": {"phase": "Ready"}}, True),
    ({**MV, "status": {"phase": "Pending", "servedBy": ["iris"]}}, False),
    ({**MV, "status": {"phase": "Pending", "conditions": [{"type": "Stalled", "status": "True"}]}}, True),
    ({**MV, "metadata": {"generation": 1, "deletionTimestamp": "2026-03-01T00:00:00Z"}}, True),
], ids=["became-ready", "served-by-is-the-services-own-doing", "stalled", "deleting"])
def test_modelversion_signal(after: dict[str, Any], changed: bool) -> None:
    assert (calculate_modelversion_signal(after, "MODIFIED") != calculate_modelversion_signal(MV, "ADDED")) is changed
