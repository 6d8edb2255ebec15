"""InferenceService: observe (reads only) -> decide (core.rollout) -> execute (serving objects, router, events)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelyard.adapters.kube import DEPLOYMENTS, MODELVERSIONS, PODS, KubeClient
from modelyard.adapters.metrics import factory
from modelyard.adapters.metrics.base import MetricsProvider, Target
from modelyard.adapters.telemetry import record_rollout
from modelyard.adapters.traffic import Routing, TrafficRouter, router_for
from modelyard.adapters.traffic.replica_ratio import is_pod_ready
from modelyard.api.inferenceservice import (
    AnalysisMetric,
    InferenceService,
    InferenceServiceSpec,
    InferenceServiceStatus,
    RouterKind,
    ServedVersion,
)
from modelyard.controller.common import parse, status_patch
from modelyard.controller.execute import execute
from modelyard.controller.first_status import calculate_first_status
from modelyard.controller.wakeups import model_topic, service_topic, version_topic
from modelyard.core.actions import Action, Apply, Delete, EmitEvent, Patch
from modelyard.core.analysis import Verdict, calculate_due_metrics
from modelyard.core.measurement import Measurement
from modelyard.core.registry import VersionRecord, record_from_body
from modelyard.core.rollout import Observed, PodHealth, decide_rollout, select_candidate
from modelyard.core.rollout_summary import is_settled
from modelyard.core.rollout_timing import calculate_next_pass
from modelyard.core.steps import (
    calculate_canary_replicas,
    calculate_replica_split,
    calculate_step_weight,
    parse_duration,
)
from modelyard.render.meta import LABEL_INFERENCESERVICE, LABEL_MODELVERSION
from modelyard.render.serving import (
    build_deployment,
    build_hpa,
    build_router_objects,
    canary_service_name,
    serving_url,
    short_name,
)

logger = logging.getLogger(__name__)

Index = Mapping[tuple[str, str], Iterable[VersionRecord]]
SANDBOX_PORTS = "sandbox.modelyard.io/ports"
FAILING_REASONS = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
                   "InvalidImageName", "RunContainerError")


@dataclass
class Deps:
    """What the controller needs from the outside world (fakes in tests)."""

    kube: KubeClient
    image: str
    providers: Callable[[AnalysisMetric], MetricsProvider]
    routers: Callable[[RouterKind | str], TrafficRouter] | None = None
    index: Index = field(default_factory=dict)
    by_name: Mapping[tuple[str, str], Iterable[dict[str, Any]]] | None = None  # ModelVersions by name (kopf)

    def router(self, kind: RouterKind | str) -> TrafficRouter:
        return self.routers(kind) if self.routers is not None else router_for(kind, self.kube)


@dataclass(frozen=True)
class Seen:
    """The core's Observed plus what only execute needs (existing Deployments, canary pod URLs)."""

    core: Observed
    deployments: Mapping[str, dict[str, Any]]  # by ModelVersion label
    new_generation: bool = False  # the spec changed since the status was written


@dataclass(frozen=True)
class Pass:
    """What one reconcile wrote to its children and wants written to its status, and when it is due next."""

    patch: dict[str, Any]  # the status merge patch ({} when nothing changed)
    next_pass: datetime | None = None  # None: nothing due until something changes
    settled: bool = True  # unsettled: looked at again within the poll interval
    topics: tuple[str, ...] = ()  # what to be woken by (controller.wakeups)
    events: tuple[EmitEvent, ...] = ()  # to post once the status is written (never for a refused write)
    signal: Hashable = None  # what the pass read of the object itself (core.rollout_timing)


async def reconcile_inferenceservice(body: dict[str, Any], deps: Deps, now: datetime) -> dict[str, Any]:
    """One reconcile; returns the status patch ({} when nothing changed) and posts its events."""
    result = await run_pass(body, deps, now)
    await execute(deps.kube, body, result.events, now)
    return result.patch


async def run_pass(body: dict[str, Any], deps: Deps, now: datetime) -> Pass:
    """observe -> decide -> converge the children; the status patch, the events, the next due time."""
    meta = body["metadata"]
    own = service_topic(meta.get("namespace", ""), short_name(meta["name"]))
    obj, problem = parse(InferenceService, body)
    if obj is None or problem is not None:
        return Pass(calculate_first_status(InferenceService, body, now), None, True, (own,))
    seen = await observe(deps, body, obj.spec, obj.status, now)
    decision = decide_rollout(obj.spec, obj.status, seen.core, now)
    record_rollout(meta, obj.status, decision.status, obj.spec.analysis.metrics, seen.core.measurements)
    await execute(deps.kube, body, calculate_serving_actions(body, obj.spec, decision.status, seen, deps.image), now)
    await apply_routing(deps, body, obj.spec, decision.status)
    desired = seen.core.desired.name if seen.core.desired else None
    settled = is_settled(obj.spec, decision.status, meta.get("generation"), desired)
    next_pass = calculate_next_pass(obj.spec, decision.status, now)
    return Pass(status_patch(body, decision.status.to_wire()), next_pass, settled,
                (own, *calculate_topics(meta.get("namespace", ""), obj.spec)), tuple(decision.events))


def calculate_topics(ns: str, spec: InferenceServiceSpec) -> tuple[str, ...]:
    """The registry topics a service reads: its tracked model, or its pinned version."""
    if spec.model.track is not None:
        return (model_topic(ns, spec.model.track.model),)
    return (version_topic(ns, spec.model.model_version or ""),)


def default_providers() -> Callable[[AnalysisMetric], MetricsProvider]:
    """The operator's providers (``adapters.metrics.factory``), looked up per call so tests can stand in."""
    return lambda metric: factory.provider_for(metric.provider)


async def observe(
    deps: Deps, body: dict[str, Any], spec: InferenceServiceSpec, status: InferenceServiceStatus, now: datetime
) -> Seen:
    """Read what decide needs: the desired version, pods per version, due measurements. Reads only."""
    meta = body["metadata"]
    ns, name = meta.get("namespace", ""), meta["name"]
    desired, waiting = await observe_desired(deps, ns, spec, status)
    deployments = {d["metadata"].get("labels", {}).get(LABEL_MODELVERSION, ""): d
                   for d in await deps.kube.list(DEPLOYMENTS, ns, labels={LABEL_INFERENCESERVICE: short_name(name)})}
    stable = status.stable.model_version if status.stable else None
    canary = status.canary.model_version if status.canary else None
    # Pods are read during a canary only (why one fails, where to measure); else the Deployment's count will do.
    pods = await deps.kube.list(PODS, ns, labels={LABEL_INFERENCESERVICE: short_name(name)}) if canary else []
    core = Observed(
        generation=meta.get("generation"), total_replicas=calculate_total_replicas(spec, deployments, stable),
        desired=desired, waiting=waiting, stable_metrics=await observe_metrics_of(deps, ns, spec, stable),
        stable=assess_pods(pods, stable) if canary else assess_deployment(deployments, stable),
        canary=assess_pods(pods, canary),
        measurements=tuple(await measure(deps, spec, status, ns, name, pods, now)),
        annotations=dict(meta.get("annotations") or {}), url=serving_url(name, ns, spec),
    )
    new_generation = status.observed_generation not in (None, meta.get("generation"))
    return Seen(core, deployments, new_generation=new_generation)


async def observe_desired(
    deps: Deps, ns: str, spec: InferenceServiceSpec, status: InferenceServiceStatus
) -> tuple[VersionRecord | None, str | None]:
    """The version the spec asks for, or why there is none yet."""
    if spec.model.track is not None:
        track = spec.model.track
        found = select_candidate(deps.index.get((ns, track.model), ()), track.model, tags=track.selector,
                                 rejected=status.rejected)
        return found, None if found else f"no Ready version of model {track.model} yet"
    pinned = spec.model.model_version or ""
    record = await _record(deps, ns, pinned)
    if record is None:
        return None, f"ModelVersion {pinned} not found"
    if not is_pinnable(record):
        return None, f"ModelVersion {pinned} is not Ready (phase {record.phase})"
    return record, None


def is_pinnable(record: VersionRecord) -> bool:
    """A pinned version may be served when Ready, or Rejected (by this or another service: pinning it, with
    spec.model.retry raised past our own rejection, is an explicit choice); never Pending, Stalled for any
    other reason (a duplicate, an invalid spec) or being deleted."""
    if record.deleting:
        return False
    return record.phase == "Rejected" or (record.phase == "Ready" and not record.stalled)


async def _record(deps: Deps, ns: str, name: str) -> VersionRecord | None:
    """A ModelVersion's record: from the watch-fed index when there is one (no API call), else read."""
    if deps.by_name is not None:
        body = next(iter(deps.by_name.get((ns, name), ())), None)
    else:
        body = await deps.kube.get_or_none(MODELVERSIONS, ns, name)
    return None if body is None else record_from_body(body)


async def observe_metrics_of(
    deps: Deps, ns: str, spec: InferenceServiceSpec, version: str | None
) -> Mapping[str, float] | None:
    """The stable version's offline metrics, read only when a gate compares against them."""
    if version is None or not any(g.max_regression is not None for g in spec.model.gates):
        return None
    record = await _record(deps, ns, version)
    return None if record is None else record.metrics


def calculate_total_replicas(
    spec: InferenceServiceSpec, deployments: Mapping[str, dict[str, Any]], stable: str | None
) -> int:
    """The replica count a rollout splits: the spec's, or the HPA's current one under autoscaling."""
    scaling = spec.predictor.autoscaling
    if scaling is None:
        return spec.predictor.replicas
    current = deployments.get(short_name(stable)) if stable else None
    replicas = int((current or {}).get("spec", {}).get("replicas") or 0)
    return max(scaling.min_replicas, min(replicas, scaling.max_replicas))


def assess_pods(pods: Iterable[dict[str, Any]], version: str | None) -> PodHealth:
    """Ready pods of ``version``, and the first reason one of them is failing (crash loop, bad image...)."""
    if version is None:
        return PodHealth()
    label = short_name(version)
    mine = [p for p in pods if p.get("metadata", {}).get("labels", {}).get(LABEL_MODELVERSION) == label]
    failing = next(filter(None, map(_failing, mine)), None)
    return PodHealth(ready=sum(1 for p in mine if is_pod_ready(p)), failing=failing)


def assess_deployment(deployments: Mapping[str, dict[str, Any]], version: str | None) -> PodHealth:
    """Ready pods of ``version`` as its Deployment counts them (no failure reasons: those need the pods)."""
    deployment = deployments.get(short_name(version)) if version else None
    return PodHealth(ready=int(((deployment or {}).get("status") or {}).get("readyReplicas") or 0))


def _failing(pod: dict[str, Any]) -> str | None:
    status = pod.get("status", {})
    name = pod.get("metadata", {}).get("name", "?")
    if status.get("phase") == "Failed":
        return f"pod {name} failed: {status.get('reason') or status.get('message') or 'Failed'}"
    for cs in status.get("containerStatuses") or []:
        reason = (cs.get("state", {}).get("waiting") or {}).get("reason")
        if reason in FAILING_REASONS:
            return f"pod {name}: {reason} (restarts {cs.get('restartCount', 0)})"
    return None


async def measure(
    deps: Deps, spec: InferenceServiceSpec, status: InferenceServiceStatus, ns: str, name: str,
    pods: list[dict[str, Any]], now: datetime,
) -> list[Measurement]:
    """The due measurements of a canary that takes traffic (none when nothing is due)."""
    canary = status.canary
    verdict = status.analysis.verdict if status.analysis else Verdict.RUNNING
    if canary is None or status.canary_weight <= 0 or verdict != Verdict.RUNNING:
        return []
    urls = [pod_url(p, spec.predictor.port) for p in pods
            if p.get("metadata", {}).get("labels", {}).get(LABEL_MODELVERSION) == short_name(canary.model_version)
            and is_pod_ready(p) and p.get("status", {}).get("podIP")]
    window = parse_duration(spec.analysis.interval).total_seconds()
    target = Target(ns, name, canary.model_version, status.stable.model_version if status.stable else None,
                    urls, window)
    results = []
    limit = max(window, MIN_MEASURE_SECONDS)  # a provider that hangs must not hold the reconcile
    for metric in calculate_due_metrics(spec.analysis, status.analysis, now):
        try:
            results.append(await asyncio.wait_for(deps.providers(metric).measure(metric, target, now), limit))
        except TimeoutError:
            results.append(Measurement(metric.name, now, error=f"the provider did not answer within {limit:g}s"))
        except Exception as e:  # a provider must not raise; if one does, it is an Error measurement
            results.append(Measurement(metric.name, now, error=f"{type(e).__name__}: {e}"))
    return results


#: The shortest time limit of one provider call (the analysis interval bounds it otherwise).
MIN_MEASURE_SECONDS = 10.0


def pod_url(pod: dict[str, Any], port: int) -> str:
    """``http://<podIP>:<port>``; where a pod publishes its container port elsewhere (the sandbox's local
    runtime maps it in ``sandbox.modelyard.io/ports``), that port."""
    published = (pod.get("metadata", {}).get("annotations") or {}).get(SANDBOX_PORTS)
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        port = int(json.loads(published).get(str(port), port)) if published else port
    return f"http://{pod['status']['podIP']}:{port}"


def calculate_serving_actions(
    owner: dict[str, Any], spec: InferenceServiceSpec, status: InferenceServiceStatus, seen: Seen, image: str
) -> list[Action]:
    """Deployments of stable and canary, retiring ones scaled down or deleted, the HPA (pure)."""
    ns = owner["metadata"].get("namespace", "")
    stable_n, canary_n = calculate_serving_replicas(spec, status, seen.core)
    actions: list[Action] = []
    def apply_version(version: ServedVersion, replicas: int | None) -> Apply:
        live = seen.deployments.get(short_name(version.model_version))
        return Apply(build_deployment(owner, spec, version, replicas, image), live, observed=True)

    if status.stable is not None:
        actions.append(apply_version(status.stable, stable_n))
        hpa = build_hpa(owner, spec, status.stable)
        if hpa is not None:
            actions.append(Apply(hpa))
        elif seen.new_generation:  # autoscaling may just have been removed: its HPA goes (absent is fine)
            actions.append(Delete("autoscaling/v2", "HorizontalPodAutoscaler", ns, owner["metadata"]["name"]))
    if status.canary is not None:
        actions.append(apply_version(status.canary, canary_n))
    keep = {short_name(v.model_version) for v in (status.stable, status.canary) if v is not None}
    retiring = {short_name(r.model_version): r for r in status.retiring}
    for label, deployment in seen.deployments.items():
        dname = deployment["metadata"]["name"]
        if label in keep:
            continue
        if label not in retiring:
            actions.append(Delete("apps/v1", "Deployment", ns, dname))
        elif not retiring[label].drain and deployment.get("spec", {}).get("replicas"):
            actions.append(Patch("apps/v1", "Deployment", ns, dname, {"spec": {"replicas": 0}}))
    return actions


def calculate_serving_replicas(
    spec: InferenceServiceSpec, status: InferenceServiceStatus, observed: Observed
) -> tuple[int | None, int]:
    """(stable, canary) replicas; stable None leaves it to the HPA."""
    total = observed.total_replicas
    if status.canary is None:
        return (None if spec.predictor.autoscaling else total), 0
    weight = calculate_step_weight(spec.rollout.steps, status.current_step or 0)
    if spec.traffic.router == RouterKind.GATEWAY_API or spec.predictor.autoscaling is not None:
        stable: int | None = None if spec.predictor.autoscaling else total
        return stable, calculate_canary_replicas(total, weight)
    split = calculate_replica_split(total, weight, observed.canary.ready)
    return split.stable, split.canary


async def apply_routing(deps: Deps, owner: dict[str, Any], spec: InferenceServiceSpec,
                        status: InferenceServiceStatus) -> None:
    """Converge the router's objects to the status's weight (after the Deployments)."""
    if status.stable is not None:
        await deps.router(spec.traffic.router).apply(build_routing(owner, spec, status))


def build_routing(owner: dict[str, Any], spec: InferenceServiceSpec, status: InferenceServiceStatus) -> Routing:
    """What the router needs: its rendered objects and how to tell canary pods apart."""
    meta = owner["metadata"]
    weight = status.canary_weight if status.canary else 0
    return Routing(
        namespace=meta.get("namespace", ""), name=meta["name"], weight=weight,
        objects=build_router_objects(owner, spec, status.stable, status.canary, weight),
        pod_selector={LABEL_INFERENCESERVICE: short_name(meta["name"])}, version_label=LABEL_MODELVERSION,
        canary_version=short_name(status.canary.model_version) if status.canary else None,
        canary_backend=canary_service_name(meta["name"]),
    )
