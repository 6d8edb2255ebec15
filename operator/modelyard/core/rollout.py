"""The rollout state machine (pure): status + what was observed + now -> the next status and events.

Everything a rollout needs to resume lives in ``InferenceServiceStatus``: the served versions, the
step and when it began, the weight, the analysis counters, the rejected versions, the command
annotations already handled, the versions being scaled down. ``decide_rollout`` is a function of that
status, the spec, what the controller observed and ``now``; the controller renders the serving
objects from the status it returns. Kill the operator anywhere and the next call carries on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from modelyard.api.inferenceservice import (
    AnalysisStatus,
    HistoryEntry,
    InferenceServiceSpec,
    InferenceServiceStatus,
    MeasurementRecord,
    Rejection,
    Retiring,
    RouterKind,
    RuntimeKind,
    ServedVersion,
)
from modelyard.core.actions import EmitEvent
from modelyard.core.analysis import Verdict, calculate_analysis_status, calculate_failing_measurements
from modelyard.core.gates import assess_gates
from modelyard.core.measurement import Measurement
from modelyard.core.registry import VersionRecord, select_latest
from modelyard.core.rollout_summary import ABORT, PROMOTE, Serving, calculate_summary
from modelyard.core.steps import calculate_canary_replicas, calculate_step_weight, parse_duration


@dataclass(frozen=True)
class PodHealth:
    """The pods of one version: how many are ready, and why they fail if they do."""

    ready: int = 0
    failing: str | None = None  # e.g. "CrashLoopBackOff: pod x restarted 3 times"


@dataclass(frozen=True)
class Observed:
    """What the controller read for one reconcile (frozen: decide never reads the API)."""

    generation: int | None
    total_replicas: int
    desired: VersionRecord | None = None  # the version the spec asks for (pinned, or the tracked candidate)
    waiting: str | None = None  # why there is no desired version yet
    stable_metrics: Mapping[str, float] | None = None  # the stable version's offline metrics, for gates
    stable: PodHealth = field(default_factory=PodHealth)
    canary: PodHealth = field(default_factory=PodHealth)
    measurements: tuple[Measurement, ...] = ()
    annotations: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None


@dataclass(frozen=True)
class RolloutDecision:
    """The next status and the events to post."""

    status: InferenceServiceStatus
    events: list[EmitEvent]


@dataclass
class _Ctx:
    spec: InferenceServiceSpec
    st: InferenceServiceStatus  # a private deep copy, edited in place by the phase functions
    obs: Observed
    now: datetime
    events: list[EmitEvent] = field(default_factory=list)

    def event(self, warning: bool, reason: str, message: str) -> None:
        self.events.append(EmitEvent("Warning" if warning else "Normal", reason, message))


def select_candidate(
    records: Iterable[VersionRecord], model: str, *, tags: Mapping[str, str], rejected: Iterable[str]
) -> VersionRecord | None:
    """The tracked candidate: the registry's ``select_latest`` (Ready, healthy, not deleting, not rejected)."""
    return select_latest(records, model, tags=tags, rejected=frozenset(rejected))


def served_from(record: VersionRecord) -> ServedVersion:
    """What status records of a version, enough to render its pods without reading it again."""
    return ServedVersion(model_version=record.name, digest=record.digest, uri=record.uri, format=record.format,
                         model=record.model, version=record.version)


def decide_rollout(
    spec: InferenceServiceSpec, status: InferenceServiceStatus, observed: Observed, now: datetime
) -> RolloutDecision:
    """One step of the state machine: commands, then the canary's or the idle service's transitions."""
    ctx = _Ctx(spec, status.model_copy(deep=True), observed, now)
    ctx.st.observed_generation = observed.generation
    _forget_retried(ctx)
    _verify(ctx)
    promote, abort = _read_commands(ctx)
    ctx.st.retiring = [r for r in ctx.st.retiring if r.scale_down_at > now]
    if ctx.st.canary is not None:
        _canary(ctx, promote=promote, abort=abort)
    else:
        _idle(ctx)
    serving = Serving(observed.generation, observed.total_replicas, observed.stable.ready, observed.waiting)
    calculate_summary(ctx.spec, ctx.st, serving, now)
    ctx.st.url = observed.url
    return RolloutDecision(ctx.st, ctx.events)


def _verify(ctx: _Ctx) -> None:
    """Mark a served version verified once one of its pods is ready: the modelyard runtime checks the digest
    before it reports ready (custom runtimes promise nothing). Done before any transition, while the
    observed pods still belong to the versions in status."""
    if ctx.spec.predictor.runtime != RuntimeKind.MODELYARD:
        return
    for served, pods in ((ctx.st.stable, ctx.obs.stable), (ctx.st.canary, ctx.obs.canary)):
        if served is not None and pods.ready > 0 and not served.verified:
            served.verified = True


def _forget_retried(ctx: _Ctx) -> None:
    keep = [r for r in ctx.st.rejections if r.retry >= ctx.spec.model.retry]
    if len(keep) != len(ctx.st.rejections):
        ctx.st.rejections = keep
        ctx.st.rejected = [r.model_version for r in keep]


def _read_commands(ctx: _Ctx) -> tuple[bool, bool]:
    """New values of the promote/abort annotations; recorded as handled so a restart never repeats them."""
    promote, abort = ctx.obs.annotations.get(PROMOTE), ctx.obs.annotations.get(ABORT)
    handled = ctx.st.handled
    new_promote = promote is not None and promote != handled.promote
    new_abort = abort is not None and abort != handled.abort
    ctx.st.handled = handled.model_copy(update={"promote": promote or handled.promote,
                                                "abort": abort or handled.abort})
    return new_promote, new_abort


def _idle(ctx: _Ctx) -> None:
    """No canary: deploy the first version, or start a canary for a new one that passes the gates."""
    st, d = ctx.st, ctx.obs.desired
    if d is None or (st.stable is not None and d.name == st.stable.model_version) or d.name in st.rejected:
        return
    failures = assess_gates(ctx.spec.model.gates, d.metrics, ctx.obs.stable_metrics if st.stable else None)
    if failures:
        _reject(ctx, d.name, "GateFailed", "offline gates failed: " + "; ".join(f.message for f in failures), [])
        return
    st.retiring = [r for r in st.retiring if r.model_version != d.name]
    if st.stable is None:
        st.stable, st.step_started = served_from(d), ctx.now
        update_history(st, HistoryEntry(model_version=d.name, outcome="Promoted", message="first version",
                                        time=ctx.now), ctx.spec.rollout.history_limit)
        ctx.event(False, "Deploying", f"deploying {d.name} as the first version")
        return
    st.canary, st.canary_started, st.current_step, st.step_started = served_from(d), ctx.now, 0, ctx.now
    st.canary_weight, st.analysis = 0, AnalysisStatus()
    ctx.event(False, "CanaryStarted", f"canary {d.name} started against stable {st.stable.model_version}")


def _canary(ctx: _Ctx, *, promote: bool, abort: bool) -> None:
    st, obs = ctx.st, ctx.obs
    assert st.canary is not None
    name = st.canary.model_version
    if abort:
        return _rollback(ctx, "Aborted", f"{name} aborted by the {ABORT} annotation", [])
    if obs.desired is not None and obs.desired.name != name:
        return _supersede(ctx, obs.desired.name)
    if promote:
        return _promote(ctx, f"{name} promoted by the {PROMOTE} annotation")
    if obs.canary.failing is not None:
        record = MeasurementRecord(metric="canaryPods", verdict=Verdict.FAILED.value, message=obs.canary.failing,
                                   time=ctx.now)
        return _rollback(ctx, "RolledBack", f"{name} pods failing: {obs.canary.failing}", [record])
    if _not_ready_in_time(ctx):
        return _rollback(ctx, "RolledBack", f"{name} not ready within {ctx.spec.rollout.ready_deadline}", [])
    if obs.measurements:
        st.analysis = calculate_analysis_status(ctx.spec.analysis, st.analysis, obs.measurements)
    verdict = st.analysis.verdict if st.analysis else Verdict.RUNNING
    if verdict in (Verdict.FAILED, Verdict.ERROR):
        failing = calculate_failing_measurements(ctx.spec.analysis, st.analysis)
        why = "; ".join(f"{m.metric}: {m.message}" for m in failing) or verdict
        return _rollback(ctx, "RolledBack", f"{name} failed analysis ({verdict}): {why}", failing)
    if verdict == Verdict.INCONCLUSIVE or ctx.spec.rollout.paused:
        return None
    return _advance(ctx)


def _not_ready_in_time(ctx: _Ctx) -> bool:
    started = ctx.st.canary_started
    if started is None or ctx.obs.canary.ready > 0:
        return False
    wanted = calculate_canary_replicas(ctx.obs.total_replicas, _target_weight(ctx))
    return wanted > 0 and ctx.now - started > parse_duration(ctx.spec.rollout.ready_deadline)


def _target_weight(ctx: _Ctx) -> int:
    return calculate_step_weight(ctx.spec.rollout.steps, ctx.st.current_step or 0)


def _advance(ctx: _Ctx) -> None:
    """Complete the current step if its condition holds; promote after the last one."""
    st, steps = ctx.st, ctx.spec.rollout.steps
    i = st.current_step or 0
    if i < len(steps):
        step, started = steps[i], st.step_started or ctx.now
        if step.set_weight is not None:
            if ctx.obs.canary.ready < calculate_canary_replicas(ctx.obs.total_replicas, step.set_weight):
                if ctx.now - started > parse_duration(ctx.spec.rollout.progress_deadline):
                    _rollback(ctx, "RolledBack", f"step {i} made no progress within "
                              f"{ctx.spec.rollout.progress_deadline}", [])
                return
            if st.canary_weight != step.set_weight:
                ctx.event(False, "WeightChanged", f"canary weight {st.canary_weight}% -> {step.set_weight}%")
            if st.analysis is not None and st.analysis.started is None and step.set_weight > 0:
                st.analysis.started = ctx.now  # the canary takes traffic from now on
            st.canary_weight = step.set_weight
        elif step.pause is None or step.pause.duration is None or ctx.now < started + parse_duration(
                step.pause.duration):
            return
        st.current_step, st.step_started = i + 1, ctx.now
    if (st.current_step or 0) >= len(steps):
        _promote(ctx, "all steps passed")


def _promote(ctx: _Ctx, message: str) -> None:
    st = ctx.st
    assert st.canary is not None
    old, new = st.stable, st.canary
    if old is not None and old.model_version != new.model_version:
        retire(st, old.model_version, ctx.now, ctx.spec.rollout.scale_down_delay, drain=True)
    st.stable, st.canary = new, None
    _clear_canary(st)
    update_history(st, HistoryEntry(model_version=new.model_version, outcome="Promoted", message=message,
                                    time=ctx.now), ctx.spec.rollout.history_limit)
    ctx.event(False, "Promoted", message)


def _rollback(ctx: _Ctx, reason: str, message: str, measurements: list[MeasurementRecord]) -> None:
    """Traffic back to stable at once; the canary is scaled down (replica ratio) or drained (gateway)."""
    name = _retire_canary(ctx)
    _reject(ctx, name, reason, message, measurements)


def _supersede(ctx: _Ctx, newer: str) -> None:
    st = ctx.st
    name = _retire_canary(ctx)
    message = f"canary {name} superseded by {newer}"
    update_history(st, HistoryEntry(model_version=name, outcome="Superseded", message=message, time=ctx.now),
                   ctx.spec.rollout.history_limit)
    ctx.event(False, "Superseded", message)


def _retire_canary(ctx: _Ctx) -> str:
    """Take the canary out of service (retiring: scaled down, or drained behind a gateway); its name."""
    st = ctx.st
    assert st.canary is not None
    name = st.canary.model_version
    retire(st, name, ctx.now, ctx.spec.rollout.scale_down_delay,
           drain=ctx.spec.traffic.router == RouterKind.GATEWAY_API)
    st.canary = None
    _clear_canary(st)
    return name


def _clear_canary(st: InferenceServiceStatus) -> None:
    st.canary_started, st.current_step, st.step_started, st.canary_weight = None, None, None, 0


def _reject(ctx: _Ctx, name: str, reason: str, message: str, measurements: list[MeasurementRecord]) -> None:
    st = ctx.st
    if name not in st.rejected:
        st.rejected = [*st.rejected, name]
    st.rejections = [r for r in st.rejections if r.model_version != name] + [
        Rejection(model_version=name, reason=reason, message=message, time=ctx.now,
                  retry=ctx.spec.model.retry, measurements=measurements)]
    update_history(st, HistoryEntry(model_version=name, outcome=reason, message=message, time=ctx.now),
                   ctx.spec.rollout.history_limit)
    ctx.event(True, reason, message)


def retire(st: InferenceServiceStatus, name: str, now: datetime, delay: str, *, drain: bool) -> None:
    """Schedule the Deployment of ``name`` for deletion after the scale-down delay."""
    at = now + parse_duration(delay)
    st.retiring = [r for r in st.retiring if r.model_version != name] + [
        Retiring(model_version=name, scale_down_at=at, drain=drain)]


def update_history(st: InferenceServiceStatus, entry: HistoryEntry, limit: int) -> None:
    """Newest first, at most ``limit`` entries."""
    st.history = [entry, *st.history][:limit]
