"""Counting finished runs and registrations exactly once; the timer's fresh read; which pass owns what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from modelyard.adapters import telemetry
from modelyard.adapters.kube import EVENTS, JOBS, MODELVERSIONS, TRAININGJOBS
from modelyard.api.trainingjob import TrainingJobStatus
from modelyard.controller.trainingjob import (
    owns_generation,
    reconcile_trainingjob,
    resync_trainingjob,
    should_list_pods,
)
from modelyard.core.training_observe import JobView
from modelyard.core.training_outcome import Outcome, calculate_outcome

from .builders import NOW, job_status, report, tj, tj_body
from .fake_kube import FakeKube
from .test_controller import finish_job, look

START, DONE = NOW - timedelta(minutes=30), NOW - timedelta(minutes=5)
GRACE = timedelta(seconds=2)


def status(phase: str | None, **kw: Any) -> TrainingJobStatus:
    return TrainingJobStatus.model_validate({"phase": phase, **kw} if phase else kw)


@pytest.mark.parametrize(("old", "new", "want"), [
    (status("Running"), status("Succeeded", startTime=START, completionTime=DONE), Outcome("succeeded", 1500.0)),
    (status("Pending"), status("Failed", startTime=START, completionTime=DONE), Outcome("failed", 1500.0)),
    (status("Running"), status("Failed", startTime=START), Outcome("failed", 1800.0)),  # Job deleted: until now
    (status(None), status("Failed"), Outcome("failed", 3600.0)),  # never started: from the creation
    (status("Succeeded"), status("Succeeded", startTime=START, completionTime=DONE), None),  # counted before
    (status("Failed"), status("Failed"), None),
    (status("Pending"), status("Running"), None),
], ids=["succeeded", "failed", "failed-no-completion", "failed-never-started", "already-succeeded",
        "already-failed", "still-running"])
def test_calculate_outcome(old: TrainingJobStatus, new: TrainingJobStatus, want: Outcome | None) -> None:
    assert calculate_outcome(old, new, NOW - timedelta(hours=1), NOW) == want


@pytest.mark.parametrize(("body", "handler_owns"), [
    (tj_body(), True),
    (tj_body(generation=2, status={"observedGeneration": 1}), True),
    (tj_body(generation=2, status={"observedGeneration": 2}), False),
], ids=["created", "spec-changed", "described"])
def test_owns_generation(body: dict[str, Any], handler_owns: bool) -> None:
    assert owns_generation(body) == handler_owns


@pytest.mark.parametrize(("job", "status_", "want"), [
    (JobView(active=2, ready=1), {}, True),
    (JobView(active=2, ready=2), {}, False),
    (JobView(active=2), {}, True),  # the Job does not count Ready pods: look
    (JobView(suspended=True), {}, False),
    (JobView(complete=True), {}, True),
    (JobView(complete=True), {"conditions": [{"type": "ArtifactRecorded", "status": "True", "reason": "Recorded",
                                              "lastTransitionTime": "2026-03-01T11:30:00Z"}]}, False),
    (JobView(failed_reason="BackoffLimitExceeded"), {}, False),
], ids=["pod-not-ready", "all-ready", "ready-unknown", "suspended", "complete", "report-recorded", "failed"])
def test_should_list_pods(job: JobView, status_: dict[str, Any], want: bool) -> None:
    assert should_list_pods(tj(status=status_ or None), job) == want


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return telemetry.REGISTRY.get_sample_value(name, labels or {}) or 0.0


def counts() -> tuple[float, float, float]:
    return (sample("modelyard_training_jobs_total", {"outcome": "succeeded"}),
            sample("modelyard_training_duration_seconds_count", {"outcome": "succeeded"}),
            sample("modelyard_modelversions_registered_total"))


async def test_a_run_and_its_registration_are_counted_once_across_passes_and_restarts() -> None:
    kube, body = FakeKube(), tj_body(output={"uri": "s3://models/iris"})
    before = counts()
    await look(kube, body)
    finish_job(kube, message=report())
    await look(kube, body, minutes=1)
    await look(kube, body, minutes=2)  # a later pass, or a restarted operator reading the written status
    after = counts()
    assert body["status"]["phase"] == "Succeeded" and len(kube.of(MODELVERSIONS)) == 1
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (1.0, 1.0, 1.0)


async def test_a_model_version_that_exists_already_is_not_counted_again() -> None:
    kube, body = FakeKube(), tj_body(output={"uri": "s3://models/iris"})
    await look(kube, body)
    finish_job(kube, message=report())
    before = counts()
    await reconcile_trainingjob(kube, dict(body), NOW)  # created the ModelVersion, killed before the write
    await look(kube, body, minutes=1)  # the next operator: 409, adopted as ours, not registered twice
    assert counts()[2] - before[2] == 1.0 and len(kube.of(MODELVERSIONS)) == 1
    assert body["status"]["modelVersion"]


async def test_the_timer_decides_on_the_object_as_the_api_holds_it_not_on_a_stale_body() -> None:
    kube, body = FakeKube(), tj_body(output={"uri": "s3://models/iris"})
    await look(kube, body)
    kube.put(TRAININGJOBS, "ml", body)  # the API has the first status; the timer's body still lags
    stale = tj_body(output={"uri": "s3://models/iris"}, status={"observedGeneration": 1})
    kube.objects[("jobs", "ml", "iris-train")]["status"] = job_status(active=1)
    events, memo = len(kube.of(EVENTS)), {}
    assert await resync_trainingjob(kube, memo, stale, NOW + timedelta(minutes=1), GRACE)
    stored = kube.objects[("trainingjobs", "ml", "iris-train")]["status"]
    assert stored["phase"] == "Running" and stored["jobName"] == "iris-train"  # written by the timer itself
    assert len(kube.of(EVENTS)) == events + 1 and len(kube.of(JOBS)) == 1
    assert not await resync_trainingjob(kube, memo, stale, NOW + timedelta(minutes=2), GRACE)  # nothing more
    assert len(kube.of(EVENTS)) == events + 1
