"""decide_training: one named case per situation, and no status churn once a state is reached."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest

from modelyard.api.trainingjob import TrainingJob
from modelyard.core.actions import CreateIfAbsent, Decision, Delete, EmitEvent, Patch
from modelyard.core.patches import calculate_merge_patch
from modelyard.core.training import calculate_report, decide_training, should_skip_resync
from modelyard.core.training_observe import JobView, TrainingObserved, assess_job
from modelyard.render.training import build_children

from .builders import NOW, UID, job_status, report, tj_body


@dataclass
class Case:
    id: str
    spec: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)
    job: dict[str, Any] | None = None  # Job status; None = no Job
    job_suspended: bool = False
    message: str | None = None
    observed: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] | None = None
    name: str = "iris-train"
    phase: str | None = None
    reason: str = ""
    ready: str = "False"
    stalled: bool = False
    actions: list[str] = field(default_factory=list)


def run(case: Case, *, drift: dict[str, Any] | None = None, now: Any = NOW) -> tuple[Decision, TrainingJob]:
    body = tj_body(name=case.name, status=case.status or None, labels=case.labels, **case.spec)
    tj = TrainingJob.model_validate(body)
    observed = TrainingObserved(**case.observed)
    if case.job is not None:
        spec = {**case.spec, **(drift or {})}
        built = TrainingJob.model_validate(tj_body(name=case.name, labels=case.labels, **spec))
        raw = copy.deepcopy(build_children(built).job)
        raw["spec"]["suspend"] = case.job_suspended
        raw["status"] = case.job
        observed = replace(observed, job=assess_job(raw), rank0_message=case.message)
    rep = calculate_report(tj.status, observed)
    artifact = rep.artifact if rep is not None else tj.status.artifact
    children = build_children(tj, artifact, rep.metrics if rep is not None else tj.status.metrics)
    return decide_training(tj, observed, children, rep, now), tj


def conds(decision: Decision) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in decision.status["conditions"]}


def kinds(decision: Decision) -> list[str]:
    out = []
    for a in decision.actions:
        if isinstance(a, CreateIfAbsent):
            out.append(f"create:{a.manifest['kind']}")
        elif isinstance(a, Patch):
            out.append(f"patch:{a.kind}:{a.patch}")
        elif isinstance(a, Delete):
            out.append(f"delete:{a.kind}")
    return out


REGISTERED = {"phase": "Succeeded", "jobName": "iris-train", "modelVersion": "iris-iris-train"}
CASES = [
    Case("new-single", phase="Pending", reason="JobCreated", ready="False",
         actions=["create:ConfigMap", "create:Job"]),
    Case("new-distributed", spec={"workers": 3}, phase="Pending", reason="JobCreated",
         actions=["create:ConfigMap", "create:Service", "create:Job"]),
    Case("invalid-version", name="Run.1", phase="Pending", reason="InvalidSpec", stalled=True),
    Case("missing-secret", observed={"missing_references": ("spec.env[0]: Secret 's3' not found",)},
         phase="Pending", reason="MissingReference"),
    Case("running", job=job_status(active=1), phase="Running", reason="Running"),
    Case("pod-stuck", job=job_status(active=1), observed={"pod_problems": ("pod p: ImagePullBackOff",)},
         phase="Running", reason="PodProblem"),
    Case("suspend", spec={"suspend": True}, job=job_status(active=1), phase="Suspended", reason="Suspended",
         actions=["patch:Job:{'spec': {'suspend': True}}"]),
    Case("resume", job=job_status(start=None), job_suspended=True, phase="Pending", reason="Resumed",
         actions=["patch:Job:{'spec': {'suspend': False}}"]),
    Case("kueue-waits", labels={"kueue.x-k8s.io/queue-name": "q"}, job=job_status(start=None),
         job_suspended=True, phase="Suspended", reason="WaitingForAdmission"),
    Case("backoff-exceeded", job=job_status(failed=4, failed_reason="BackoffLimitExceeded"), phase="Failed",
         reason="BackoffLimitExceeded", stalled=True),
    Case("deadline-exceeded", job=job_status(failed=1, failed_reason="DeadlineExceeded"), phase="Failed",
         reason="DeadlineExceeded", stalled=True),
    Case("succeeded-registers", job=job_status(succeeded=1, complete=True), message=report(), phase="Succeeded",
         reason="ModelRegistered", ready="True", actions=["create:ModelVersion"]),
    Case("restart-after-create", job=job_status(succeeded=1, complete=True), message=report(),
         observed={"model_version_owner": UID}, phase="Succeeded", reason="ModelRegistered", ready="True"),
    Case("name-taken", job=job_status(succeeded=1, complete=True), message=report(),
         observed={"model_version_owner": "other-uid"}, phase="Succeeded", reason="ModelVersionConflict",
         stalled=True),
    Case("malformed-report", job=job_status(succeeded=1, complete=True), message="{oops", phase="Succeeded",
         reason="ArtifactReportMalformed", stalled=True),
    Case("no-report", job=job_status(succeeded=1, complete=True), phase="Succeeded",
         reason="ArtifactReportMissing", stalled=True),
    Case("registration-off", spec={"registerModel": False}, job=job_status(succeeded=1, complete=True),
         message=report(), phase="Succeeded", reason="Succeeded", ready="True"),
    Case("job-deleted-mid-run", status={"phase": "Running", "jobName": "iris-train"}, phase="Failed",
         reason="JobDeleted", stalled=True),
    Case("job-ttl-cleaned-after-registration", status=REGISTERED, phase="Succeeded", reason="ModelRegistered",
         ready="True"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_decide(case: Case) -> None:
    decision, _ = run(case)
    c = conds(decision)
    assert decision.status.get("phase") == case.phase
    assert (c["Ready"]["status"], c["Ready"]["reason"]) == (case.ready, case.reason)
    assert ("Stalled" in c) == case.stalled
    assert ("Reconciling" in c) == (not case.stalled and case.ready != "True" and case.phase != "Suspended")
    assert decision.status["observedGeneration"] == 1
    assert kinds(decision) == case.actions


STEADY = [c for c in CASES if c.job is not None or not c.actions]  # a first look that creates the Job is not one


@pytest.mark.parametrize("case", STEADY, ids=[c.id for c in STEADY])
def test_second_look_changes_nothing(case: Case) -> None:
    first, _ = run(case)
    again, _ = run(replace(case, status=first.status), now=NOW + timedelta(minutes=5))
    assert calculate_merge_patch(first.status, again.status) == {}
    assert not [a for a in again.actions if isinstance(a, EmitEvent)]
    assert not [a for a in again.actions if isinstance(a, CreateIfAbsent)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_transition_emits_one_event(case: Case) -> None:
    decision, _ = run(case)
    events = [a for a in decision.actions if isinstance(a, EmitEvent)]
    assert [e.reason for e in events] == [case.reason]
    assert events[0].type == ("Warning" if case.stalled or case.reason in {"MissingReference", "PodProblem"}
                              else "Normal")


def test_succeeded_records_artifact_metrics_and_headline() -> None:
    decision, _ = run(CASES[11])
    s = decision.status
    assert s["artifact"]["uri"] == "s3://models/iris/model.joblib"
    assert (s["metrics"], s["headlineMetric"], s["modelVersion"]) == ({"accuracy": 0.97}, "accuracy=0.97",
                                                                     "iris-iris-train")
    c = conds(decision)
    assert c["Succeeded"]["status"] == "True" and c["Failed"]["status"] == "False"
    assert c["ArtifactRecorded"]["status"] == "True" and c["ModelRegistered"]["status"] == "True"
    assert s["completionTime"] == "2026-03-01T11:30:00Z" and s["startTime"] == "2026-03-01T11:00:00Z"


def test_bad_report_says_exactly_what_was_wrong() -> None:
    case = replace(CASES[11], message=report(artifact={"digest": "sha256:xyz"}))
    c = conds(run(case)[0])
    assert c["ArtifactRecorded"]["status"] == "False"
    assert c["ArtifactRecorded"]["reason"] == "ArtifactReportInvalid"
    assert "artifact.digest" in c["ArtifactRecorded"]["message"] and "artifact.digest" in c["Ready"]["message"]
    assert c["Succeeded"]["status"] == "True"


def test_failed_run_sets_failed_condition_with_job_reason() -> None:
    c = conds(run(CASES[10])[0])
    assert (c["Failed"]["status"], c["Failed"]["reason"]) == ("True", "DeadlineExceeded")
    assert c["Succeeded"]["status"] == "False"


@pytest.mark.parametrize(
    ("drift", "field"),
    [({"image": "trainer:0"}, "spec.image"), ({"hyperparameters": {"lr": 1}}, "spec.hyperparameters")],
    ids=["image", "hyperparameters"],
)
def test_spec_change_of_a_started_run_is_refused_and_never_half_applied(drift: dict[str, Any], field: str) -> None:
    case = replace(CASES[4], spec={"suspend": True})  # suspend would be applicable on its own
    decision, _ = run(case, drift=drift)
    c = conds(decision)
    assert (c["Stalled"]["reason"], field in c["Stalled"]["message"]) == ("SpecChangeRejected", True)
    assert kinds(decision) == []


@pytest.mark.parametrize(
    ("minutes", "deleted", "requeue"),
    [(59, False, timedelta(minutes=1)), (60, True, None), (600, True, None)],
    ids=["before-ttl", "at-ttl", "long-after"],
)
def test_ttl_deletes_a_settled_trainingjob(minutes: int, deleted: bool, requeue: timedelta | None) -> None:
    case = replace(CASES[11], spec={"ttlSecondsAfterFinished": 3600})
    first, _ = run(case)
    now = NOW.replace(hour=11, minute=30) + timedelta(minutes=minutes)
    decision, _ = run(replace(case, status=first.status), now=now)
    assert ("delete:TrainingJob" in kinds(decision)) == deleted
    assert decision.requeue_after == requeue


@pytest.mark.parametrize(
    ("case_index", "generation", "skip"),
    [(11, 1, True), (10, 1, True), (4, 1, False), (4, 2, True), (14, 1, True), (2, 1, True), (3, 1, False)],
    ids=["registered", "failed", "running", "handler-owns-new-generation", "bad-report", "invalid-spec",
         "missing-reference"],
)
def test_settled_jobs_skip_the_resync(case_index: int, generation: int, skip: bool) -> None:
    decision, _ = run(CASES[case_index])
    body = tj_body(generation=generation, status=decision.status, **CASES[case_index].spec)
    assert should_skip_resync(TrainingJob.model_validate(body), NOW) == skip


def test_report_is_judged_only_once() -> None:
    first, _ = run(CASES[14])
    status = TrainingJob.model_validate(tj_body(status=first.status)).status
    view = JobView(complete=True)
    assert calculate_report(status, TrainingObserved(job=view, rank0_message=report())) is None
