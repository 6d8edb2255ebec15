"""decide_training(tj, observed, children, report, now) -> Decision: the whole TrainingJob policy, pure.

One small function per situation: no Job yet, a Job whose spec drifted, a Job running, a run finished.
Registration creates ``<model>-<version>`` with CreateIfAbsent, so an operator killed at any point
creates it exactly once; a ModelVersion of that name from another run is a conflict, never adopted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from modelyard.api.common import ConditionStatus
from modelyard.api.trainingjob import TrainingJob, TrainingJobStatus, TrainingPhase
from modelyard.core import artifact_report as ar
from modelyard.core.actions import Action, CreateIfAbsent, Decision, Delete, EmitEvent, Patch
from modelyard.core.conditions import find_condition, set_condition, summarize
from modelyard.core.training_observe import JobView, TrainingObserved
from modelyard.core.training_outcome import TERMINAL, calculate_event_key
from modelyard.core.training_spec import (
    assess_spec,
    calculate_changed_fields,
    calculate_modelversion_name,
    calculate_spec_fingerprint,
)

SUCCEEDED, FAILED = "Succeeded", "Failed"
ARTIFACT_RECORDED, MODEL_REGISTERED = "ArtifactRecorded", "ModelRegistered"
KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
_WARNINGS = frozenset({"MissingReference", "PodProblem"})


@dataclass(frozen=True)
class TrainingChildren:
    """The manifests the TrainingJob wants, built by ``render.training`` (pure)."""

    job: dict[str, Any]
    configmap: dict[str, Any]
    service: dict[str, Any] | None = None
    model_version: dict[str, Any] | None = None


@dataclass
class _Draft:
    status: TrainingJobStatus
    now: datetime
    actions: list[Action] = field(default_factory=list)
    ready: bool | None = False
    reconciling: bool = True
    stalled: bool = False
    reason: str = "Reconciling"
    message: str = ""
    requeue: timedelta | None = None

    def say(self, reason: str, message: str, *, ready: bool | None = False, reconciling: bool = True,
            stalled: bool = False) -> None:
        self.reason, self.message, self.ready, self.reconciling, self.stalled = (
            reason, message, ready, reconciling, stalled)


def is_kueue_managed(tj: TrainingJob) -> bool:
    return KUEUE_QUEUE_LABEL in (tj.metadata.get("labels") or {})


def decide_training(
    tj: TrainingJob, observed: TrainingObserved, children: TrainingChildren, report: ar.ReportOutcome | None,
    now: datetime,
) -> Decision:
    """The new status and the actions for one look at a TrainingJob."""
    d = _Draft(tj.status.model_copy(deep=True), now)
    if observed.job is None:
        _decide_without_job(tj, observed, children, report, d)
    else:
        _decide_with_job(tj, observed, observed.job, children, report, d)
    return _finish(tj, d, now)


def _decide_without_job(tj: TrainingJob, observed: TrainingObserved, children: TrainingChildren,
                        report: ar.ReportOutcome | None, d: _Draft) -> None:
    name = tj.metadata.get("name", "")
    problems = assess_spec(tj.spec, name)
    if d.status.phase in TERMINAL:
        _decide_finished(tj, observed, children, report, d)  # the Job was TTL-cleaned after the run
    elif d.status.job_name:
        d.status.phase = TrainingPhase.FAILED  # deleted before it finished: never re-run it
        _decide_finished(tj, observed, children, report, d)
    elif problems:
        d.status.phase = TrainingPhase.PENDING
        d.say("InvalidSpec", "; ".join(problems), stalled=True)
    elif observed.missing_references:
        d.status.phase = TrainingPhase.PENDING
        d.say("MissingReference", "waiting for " + "; ".join(observed.missing_references))
        d.requeue = timedelta(seconds=30)
    else:
        _create_job(tj, children, d)


def _create_job(tj: TrainingJob, children: TrainingChildren, d: _Draft) -> None:
    d.actions.append(CreateIfAbsent(children.configmap))
    if children.service is not None:
        d.actions.append(CreateIfAbsent(children.service))
    d.actions.append(CreateIfAbsent(children.job))
    d.status.job_name = children.job["metadata"]["name"]
    d.status.phase = TrainingPhase.PENDING
    d.say("JobCreated", f"created Job {d.status.job_name} with {tj.spec.workers} worker(s)")


def _decide_with_job(tj: TrainingJob, observed: TrainingObserved, job: JobView, children: TrainingChildren,
                     report: ar.ReportOutcome | None, d: _Draft) -> None:
    d.status.job_name = children.job["metadata"]["name"]
    _track_job(job, d)
    changed = calculate_changed_fields(job.fingerprint, calculate_spec_fingerprint(tj.spec))
    if changed:
        d.say("SpecChangeRejected", f"{', '.join(changed)} changed after the Job was created and cannot apply to "
              "a started run; revert them, or create a new TrainingJob", stalled=True)
    elif d.status.phase in TERMINAL:
        _decide_finished(tj, observed, children, report, d)
    else:
        _decide_active(tj, observed, job, children, d)


def _track_job(job: JobView, d: _Draft) -> None:
    s = d.status
    s.start_time = s.start_time or job.start_time
    s.attempts = max(s.attempts, job.active + job.succeeded + job.failed)
    if job.failed_reason or job.complete:
        s.completion_time = s.completion_time or job.completion_time
    if job.failed_reason:
        s.phase = TrainingPhase.FAILED
    elif job.complete:
        s.phase = TrainingPhase.SUCCEEDED
    elif job.suspended:
        s.phase = TrainingPhase.SUSPENDED
    else:
        s.phase = TrainingPhase.RUNNING if job.active or job.start_time else TrainingPhase.PENDING


def _decide_active(tj: TrainingJob, observed: TrainingObserved, job: JobView, children: TrainingChildren,
                   d: _Draft) -> None:
    want = tj.spec.suspend
    if want != job.suspended and (want or not is_kueue_managed(tj)):
        meta = children.job["metadata"]
        d.actions.append(Patch("batch/v1", "Job", meta["namespace"], meta["name"], {"spec": {"suspend": want}}))
        d.status.phase = TrainingPhase.SUSPENDED if want else TrainingPhase.PENDING
        d.say("Suspended" if want else "Resumed", "suspending the Job" if want else "resuming the Job",
              reconciling=not want)
    elif d.status.phase == TrainingPhase.SUSPENDED:
        waiting = is_kueue_managed(tj) and not want
        d.say("WaitingForAdmission" if waiting else "Suspended",
              "queued in Kueue; Kueue admits and starts it" if waiting else "suspended by spec.suspend",
              reconciling=False)
    elif observed.pod_problems:
        d.say("PodProblem", "; ".join(observed.pod_problems))
    elif d.status.phase == TrainingPhase.RUNNING:
        d.say("Running", f"{job.active} pod(s) active, {job.failed} failed so far")
    else:
        _say_pending(tj, d)


def _say_pending(tj: TrainingJob, d: _Draft) -> None:
    before = find_condition(tj.status.conditions, "Ready")
    if before is not None and before.reason == "JobCreated":  # nothing new since the Job was created
        d.say(before.reason, before.message)
    else:
        d.say("Pending", "waiting for the training pods to start")


def _decide_finished(tj: TrainingJob, observed: TrainingObserved, children: TrainingChildren,
                     report: ar.ReportOutcome | None, d: _Draft) -> None:
    if d.status.phase == TrainingPhase.FAILED:
        reason = _failed_reason(d, observed.job)
        d.say(reason, _failed_message(reason, observed.job), stalled=True)
        return
    if report is not None:
        _record_report(report, d)
    recorded = find_condition(d.status.conditions, ARTIFACT_RECORDED)
    if not tj.spec.register_model:
        d.say("Succeeded", "the run succeeded; registration is disabled", ready=True, reconciling=False)
    elif d.status.artifact is None and d.status.model_version is None:
        reason, message = (recorded.reason, recorded.message) if recorded else (ar.MISSING, "no artifact report")
        d.say(reason, f"the run succeeded but registers no model: {message}", stalled=True)
    else:
        _register(tj, observed, children, d)


def _failed_reason(d: _Draft, job: JobView | None) -> str:
    if job is not None and job.failed_reason:
        return job.failed_reason
    old = find_condition(d.status.conditions, FAILED)
    return old.reason if old is not None else "JobDeleted"


def _failed_message(reason: str, job: JobView | None) -> str:
    detail = job.failed_message if job is not None and job.failed_message else ""
    if reason == "JobDeleted":
        detail = "the Job was deleted before the run finished"
    return f"training failed: {reason}" + (f": {detail}" if detail else "")


def _record_report(report: ar.ReportOutcome, d: _Draft) -> None:
    if report.ok:
        d.status.artifact, d.status.metrics = report.artifact, dict(report.metrics)
        d.status.headline_metric = report.headline
    d.status.conditions = set_condition(
        d.status.conditions, ARTIFACT_RECORDED, str(report.ok), report.reason, report.message, d.now,
    )


def _register(tj: TrainingJob, observed: TrainingObserved, children: TrainingChildren, d: _Draft) -> None:
    name = calculate_modelversion_name(tj.spec, tj.metadata.get("name", ""))
    uid = tj.metadata.get("uid", "")
    owner = observed.model_version_owner
    if d.status.model_version is None and owner is not None and owner != uid:
        d.say("ModelVersionConflict", f"ModelVersion {name} exists and was not produced by this run; "
              "set spec.version to register under another name", stalled=True)
        return
    if d.status.model_version is None and owner is None:
        if children.model_version is None:  # cannot happen with an artifact recorded; never claim otherwise
            d.say("RegistrationFailed", "no ModelVersion manifest could be built", stalled=True)
            return
        d.actions.append(CreateIfAbsent(children.model_version))
    d.status.model_version = name
    d.say(MODEL_REGISTERED, f"registered ModelVersion {name}", ready=True, reconciling=False)


def _finish(tj: TrainingJob, d: _Draft, now: datetime) -> Decision:
    generation = tj.metadata.get("generation")
    s = d.status
    s.observed_generation = generation
    s.conditions = summarize(s.conditions, ready=d.ready, reconciling=d.reconciling, stalled=d.stalled,
                             reason=d.reason, message=d.message, now=now, generation=generation)
    s.conditions = _outcome_conditions(s, now, generation, d.reason, d.message)
    s.message = d.message
    actions = [*d.actions, *_events(tj, d), *_ttl(tj, d, now)]
    return Decision(status=s.to_wire(), actions=actions, requeue_after=d.requeue)


def _outcome_conditions(
    s: TrainingJobStatus, now: datetime, generation: int | None, reason: str, message: str
) -> list[Any]:
    conds = s.conditions
    if s.phase == TrainingPhase.SUCCEEDED:
        conds = set_condition(conds, SUCCEEDED, ConditionStatus.TRUE, "Completed", "the training Job completed",
                              now, generation)
        conds = set_condition(conds, FAILED, ConditionStatus.FALSE, "Completed", "", now, generation)
    elif s.phase == TrainingPhase.FAILED:
        conds = set_condition(conds, SUCCEEDED, ConditionStatus.FALSE, reason, "", now, generation)
        conds = set_condition(conds, FAILED, ConditionStatus.TRUE, reason, message, now, generation)
    if s.model_version:
        conds = set_condition(conds, MODEL_REGISTERED, ConditionStatus.TRUE, "Registered",
                              f"ModelVersion {s.model_version}", now, generation)
    return conds


def _events(tj: TrainingJob, d: _Draft) -> list[EmitEvent]:
    old = tj.status
    before = find_condition(old.conditions, "Ready")
    if before is not None and before.reason == d.reason and old.phase == d.status.phase:
        return []
    warning = d.stalled or d.reason in _WARNINGS
    key = calculate_event_key(tj.metadata.get("uid", ""), old, d.reason, d.message)
    return [EmitEvent("Warning" if warning else "Normal", d.reason, d.message, key=key)]


def _ttl(tj: TrainingJob, d: _Draft, now: datetime) -> list[Action]:
    ttl, done = tj.spec.ttl_seconds_after_finished, d.status.completion_time
    if ttl is None or done is None or d.status.phase not in TERMINAL or d.reconciling:
        return []
    expires = done + timedelta(seconds=ttl)
    if now < expires:
        d.requeue = expires - now
        return []
    meta: Mapping[str, Any] = tj.metadata
    return [Delete(tj.api_version, tj.kind, meta.get("namespace", ""), meta.get("name", ""))]


def should_skip_resync(tj: TrainingJob, now: datetime) -> bool:
    """True when the timer has nothing to do, so it makes no API call: the create/update handler owns
    this generation (it has not written its status yet), the spec is invalid, or the run is settled
    (finished, nothing left to do, no TTL due)."""
    s = tj.status
    if s.observed_generation != tj.metadata.get("generation"):
        return True
    ready = find_condition(s.conditions, "Ready")
    if s.phase == TrainingPhase.PENDING and not s.job_name and ready is not None and ready.reason == "InvalidSpec":
        return True  # only a spec change helps, and that is the update handler's
    if s.phase not in TERMINAL:
        return False
    if any(c.type == "Reconciling" for c in s.conditions):
        return False
    ttl = tj.spec.ttl_seconds_after_finished
    return ttl is None or s.completion_time is None or now < s.completion_time + timedelta(seconds=ttl)


def calculate_report(status: TrainingJobStatus, observed: TrainingObserved) -> ar.ReportOutcome | None:
    """Rank 0's report, judged once: None before the Job completes and after the report was recorded."""
    job = observed.job
    if job is None or not job.complete or find_condition(status.conditions, ARTIFACT_RECORDED) is not None:
        return None
    return ar.assess_artifact_report(observed.rank0_message)
