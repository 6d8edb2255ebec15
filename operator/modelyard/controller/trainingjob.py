"""TrainingJob: observe (reads only) -> decide (core.training) -> execute; returns the status patch."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from modelyard.adapters.kube import CONFIGMAPS, JOBS, MODELVERSIONS, PODS, SECRETS, Ref
from modelyard.api.trainingjob import TrainingJob
from modelyard.controller.common import parse, status_patch
from modelyard.controller.execute import execute
from modelyard.controller.first_status import calculate_first_status
from modelyard.core.actions import Decision
from modelyard.core.training import TERMINAL, calculate_report, decide_training, should_skip_resync
from modelyard.core.training_observe import (
    TrainingObserved,
    assess_job,
    assess_pod_problems,
    select_rank0_message,
)
from modelyard.core.training_spec import calculate_child_name, calculate_modelversion_name, calculate_references
from modelyard.render.training import build_children, selector_labels

PVCS = Ref("", "v1", "persistentvolumeclaims")
SERVICEACCOUNTS = Ref("", "v1", "serviceaccounts")
_REFS = {"Secret": SECRETS, "ConfigMap": CONFIGMAPS, "PersistentVolumeClaim": PVCS,
         "ServiceAccount": SERVICEACCOUNTS}


class Reader(Protocol):
    """The reads observe() needs (KubeClient has them; tests use a fake)."""

    async def get_or_none(self, ref: Ref, namespace: str | None, name: str) -> dict[str, Any] | None: ...

    async def list(self, ref: Ref, namespace: str | None = None, *, labels: Any = None,
                   selector: str | None = None) -> list[dict[str, Any]]: ...


async def reconcile_trainingjob(kube: Any, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One level-based pass; the status merge patch to write ({} when nothing changed)."""
    tj, _ = parse(TrainingJob, body)
    if tj is None:
        return calculate_first_status(TrainingJob, body, now)  # Stalled, InvalidSpec naming the field
    decision = await calculate_decision(kube, tj, now)
    await execute(kube, body, decision.actions, now)
    return status_patch(body, decision.status)


async def calculate_decision(kube: Reader, tj: TrainingJob, now: datetime) -> Decision:
    """observe -> judge the report -> render -> decide, without writing anything."""
    observed = await observe(kube, tj)
    report = calculate_report(tj.status, observed)
    artifact = report.artifact if report is not None else tj.status.artifact
    metrics = report.metrics if report is not None and report.ok else tj.status.metrics
    return decide_training(tj, observed, build_children(tj, artifact, metrics), report, now)


async def observe(kube: Reader, tj: TrainingJob) -> TrainingObserved:
    """Read the Job, its pods, missing references and the ModelVersion to register; nothing else."""
    ns, name = tj.metadata.get("namespace"), tj.metadata["name"]
    raw_job = await kube.get_or_none(JOBS, ns, calculate_child_name(name))
    job = assess_job(raw_job) if raw_job is not None else None
    missing: tuple[str, ...] = ()
    if job is None and tj.status.phase not in TERMINAL and not tj.status.job_name:
        missing = await observe_missing_references(kube, tj)
    pods = await _pods(kube, tj) if job is not None and _needs_pods(tj, job.complete) else []
    owner = None
    if (job is not None and job.complete) or tj.status.phase == "Succeeded":
        owner = await observe_model_version_owner(kube, tj)
    return TrainingObserved(
        job=job, rank0_message=select_rank0_message(pods, tj.spec.workers),
        pod_problems=assess_pod_problems(pods), missing_references=missing, model_version_owner=owner,
    )


def _needs_pods(tj: TrainingJob, complete: bool) -> bool:
    recorded = any(c.type == "ArtifactRecorded" for c in tj.status.conditions)
    return tj.status.phase not in TERMINAL or (complete and not recorded)


async def _pods(kube: Reader, tj: TrainingJob) -> list[dict[str, Any]]:
    return await kube.list(PODS, tj.metadata.get("namespace"), labels=selector_labels(tj))


async def observe_missing_references(kube: Reader, tj: TrainingJob) -> tuple[str, ...]:
    """Each secret, config map, claim or service account the pods name that does not exist."""
    ns, missing = tj.metadata.get("namespace"), []
    for ref in calculate_references(tj.spec):
        if await kube.get_or_none(_REFS[ref.kind], ns, ref.name) is None:
            missing.append(f"{ref.field}: {ref.kind} {ref.name!r} not found")
    return tuple(missing)


async def observe_model_version_owner(kube: Reader, tj: TrainingJob) -> str | None:
    """The TrainingJob uid in the lineage of the ModelVersion this run registers; None when it is absent."""
    if tj.status.model_version is not None or not tj.spec.register_model:
        return None
    name = calculate_modelversion_name(tj.spec, tj.metadata["name"])
    mv = await kube.get_or_none(MODELVERSIONS, tj.metadata.get("namespace"), name)
    if mv is None:
        return None
    return str((((mv.get("spec") or {}).get("lineage") or {}).get("trainingJob") or {}).get("uid") or "")


def should_skip(body: dict[str, Any], now: datetime) -> bool:
    """The timer's gate: a settled TrainingJob needs no API call at all."""
    tj, _ = parse(TrainingJob, body)
    return tj is not None and should_skip_resync(tj, now)
