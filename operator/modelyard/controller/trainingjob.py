"""TrainingJob: observe (reads only) -> decide (core.training) -> execute; returns the status patch."""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from modelyard.adapters import telemetry
from modelyard.adapters.kube import CONFIGMAPS, JOBS, MODELVERSIONS, PODS, SECRETS, TRAININGJOBS, ApiError, Ref
from modelyard.api.trainingjob import TrainingJob, TrainingJobStatus
from modelyard.controller.common import parse, status_patch
from modelyard.controller.execute import execute
from modelyard.controller.first_status import calculate_first_status
from modelyard.core.actions import Action, CreateIfAbsent, Decision, EmitEvent
from modelyard.core.registry import parse_time
from modelyard.core.training import ARTIFACT_RECORDED, calculate_report, decide_training, should_skip_resync
from modelyard.core.training_observe import (
    JobView,
    TrainingObserved,
    assess_job,
    assess_pod_problems,
    select_rank0_message,
)
from modelyard.core.training_outcome import TERMINAL, calculate_outcome
from modelyard.core.training_spec import calculate_child_name, calculate_modelversion_name, calculate_references
from modelyard.core.training_takeover import (
    PassRecord,
    calculate_handled,
    calculate_noted,
    calculate_written,
    should_handler_skip,
    should_take_over,
)
from modelyard.render.training import build_children, selector_labels

PVCS = Ref("", "v1", "persistentvolumeclaims")
SERVICEACCOUNTS = Ref("", "v1", "serviceaccounts")
#: The per-object kopf memo key of the TrainingJob passes record (core.training_takeover).
PASSES = "trainingjob_passes"
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
    await apply_actions(kube, body, decision.actions, now)
    patch = status_patch(body, decision.status)
    if patch:
        record_outcome(tj, TrainingJobStatus.model_validate(decision.status), now)
    return patch


async def reconcile_change(kube: Any, memo: MutableMapping[str, Any], body: dict[str, Any],
                           now: datetime) -> dict[str, Any]:
    """The create/update/resume handler's pass (kopf writes the patch it returns). Its end is noted in the
    per-object ``memo``: the timer takes the generation over only if kopf's patch has not landed a grace later."""
    generation = (body.get("metadata") or {}).get("generation")
    if should_handler_skip(memo.get(PASSES, PassRecord()), generation):
        return {}  # a timer pass took this generation over and wrote it; this body predates that write
    try:
        return await reconcile_trainingjob(kube, body, now)
    finally:
        memo[PASSES] = calculate_handled(memo.get(PASSES, PassRecord()), generation, now)


async def resync_trainingjob(kube: Any, memo: MutableMapping[str, Any], body: dict[str, Any], now: datetime,
                             grace: timedelta) -> bool:
    """The timer's pass, on the TrainingJob as the API holds it now; whether it wrote a status.

    kopf refreshes a timer's body only when it processes the object's next watch event, which under load
    waits for a worker slot: deciding on that body would repeat the transition the last pass already
    wrote (another status write, another Event) on every tick until the watch catches up. The timer writes
    the status itself: a timer whose own kopf patch is refused dies for the object (see persist_trainingjob).
    """
    meta = body.get("metadata") or {}
    if not _should_resync(body, memo, now, grace):
        return False
    fresh = await kube.get_or_none(TRAININGJOBS, meta.get("namespace"), meta.get("name", ""))
    if fresh is None or (fresh.get("metadata") or {}).get("uid") != meta.get("uid"):
        return False
    if not _should_resync(fresh, memo, now, grace) or not await persist_trainingjob(kube, fresh, now):
        return False
    if owns_generation(fresh):
        memo[PASSES] = calculate_written(memo.get(PASSES, PassRecord()), fresh["metadata"].get("generation"))
    return True


def _should_resync(body: dict[str, Any], memo: MutableMapping[str, Any], now: datetime, grace: timedelta) -> bool:
    """The timer's gate for ``body``: its ordinary pass, or taking over a generation kopf's patch did not
    describe in time. Notes an unobserved generation in ``memo`` (the start of its grace)."""
    if not owns_generation(body):
        return not should_skip(body, now)
    generation, observed = body["metadata"].get("generation"), (body.get("status") or {}).get("observedGeneration")
    record = memo.get(PASSES, PassRecord())
    memo[PASSES] = calculate_noted(record, generation, now)
    return should_take_over(record, generation, observed, now, grace)


async def persist_trainingjob(kube: Any, body: dict[str, Any], now: datetime) -> bool:
    """Decide on ``body`` (as just read), execute all but the Events, write the status with a resourceVersion
    precondition, then post the Events: a decision on a body that changed meanwhile loses the write (409) and
    posts nothing, so no transition is written or announced twice. Other errors (after the client's retries)
    raise: kopf then retries the timer after its backoff, where a refused kopf patch would end the timer."""
    tj, _ = parse(TrainingJob, body)
    if tj is None:
        return await write_status(kube, body, calculate_first_status(TrainingJob, body, now))
    decision = await calculate_decision(kube, tj, now)
    events = [a for a in decision.actions if isinstance(a, EmitEvent)]
    await apply_actions(kube, body, [a for a in decision.actions if not isinstance(a, EmitEvent)], now)
    patch = status_patch(body, decision.status)
    if patch and not await write_status(kube, body, patch):
        return False
    if patch:
        record_outcome(tj, TrainingJobStatus.model_validate(decision.status), now)
    await execute(kube, body, events, now)
    return bool(patch)


async def write_status(kube: Any, body: dict[str, Any], patch: dict[str, Any]) -> bool:
    """Merge-patch the status unless the object changed since ``body`` was read (False: 409, or gone)."""
    if not patch:
        return False
    meta = body["metadata"]
    precondition = {"resourceVersion": meta["resourceVersion"]} if meta.get("resourceVersion") else {}
    try:
        await kube.patch(TRAININGJOBS, meta.get("namespace"), meta["name"], {"metadata": precondition,
                         "status": patch}, subresource="status")
    except ApiError as e:
        if e.conflict or e.not_found:
            return False
        raise
    return True


async def apply_actions(kube: Any, body: dict[str, Any], actions: list[Action], now: datetime) -> None:
    """Execute the actions in order; the ModelVersion is counted when this pass created it (not on a 409)."""
    for action in actions:
        if isinstance(action, CreateIfAbsent) and action.manifest.get("kind") == "ModelVersion":
            await create_model_version(kube, action.manifest)
        else:
            await execute(kube, body, [action], now)


async def create_model_version(kube: Any, manifest: dict[str, Any]) -> None:
    """Create the ModelVersion unless it exists (registered by an earlier pass: never overwritten)."""
    try:
        await kube.create(MODELVERSIONS, manifest["metadata"].get("namespace"), manifest)
    except ApiError as e:
        if not e.conflict:
            raise
        return
    telemetry.MODELVERSIONS_REGISTERED.inc()


def record_outcome(tj: TrainingJob, new: TrainingJobStatus, now: datetime) -> None:
    """Count a run once, on the status write that moves it into Succeeded or Failed."""
    created = tj.metadata.get("creationTimestamp")
    outcome = calculate_outcome(tj.status, new, parse_time(created) if created else None, now)
    if outcome is not None:
        telemetry.TRAINING_JOBS_TOTAL.labels(outcome.outcome).inc()
        telemetry.TRAINING_DURATION.labels(outcome.outcome).observe(outcome.duration_seconds)


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
    pods = await _pods(kube, tj) if job is not None and should_list_pods(tj, job) else []
    owner = None
    if (job is not None and job.complete) or tj.status.phase == "Succeeded":
        owner = await observe_model_version_owner(kube, tj)
    return TrainingObserved(
        job=job, rank0_message=select_rank0_message(pods, tj.spec.workers),
        pod_problems=assess_pod_problems(pods), missing_references=missing, model_version_owner=owner,
    )


def should_list_pods(tj: TrainingJob, job: JobView) -> bool:
    """Pods are read for rank 0's report of a completed run, or to explain pods that are not Ready."""
    if job.complete:
        return not any(c.type == ARTIFACT_RECORDED for c in tj.status.conditions)
    if tj.status.phase in TERMINAL or job.failed_reason or job.suspended:
        return False
    return job.ready is None or job.ready < job.active


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
    """The timer's gate: a settled TrainingJob, or one whose generation the change handlers still own,
    needs no API call at all. A spec that does not parse waits for the next spec change, once reported."""
    tj, _ = parse(TrainingJob, body)
    if tj is None:
        return not owns_generation(body)
    return should_skip_resync(tj, now)


def owns_generation(body: dict[str, Any]) -> bool:
    """Whether the create/update/resume handler takes this pass: the status does not describe this generation
    yet. Otherwise the timer owns the object, so the two never decide the same state twice."""
    observed = (body.get("status") or {}).get("observedGeneration")
    return bool(observed != (body.get("metadata") or {}).get("generation"))
