"""What a rollout's status says to people and tools (pure): phase, message, Ready/Reconciling/Stalled.

kstatus reads the conditions: Reconciling=True while a canary runs or the first version loads,
Stalled=True (and Ready=False) after a rollback, an abort or a refused gate until the spec changes,
Ready=True only when the stable version serves with every replica ready and nothing is in flight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from modelyard.api.inferenceservice import (
    InferenceServiceSpec,
    InferenceServiceStatus,
    Rejection,
    ServicePhase,
)
from modelyard.core.analysis import Verdict
from modelyard.core.conditions import summarize
from modelyard.core.steps import parse_duration

PROMOTE = "modelyard.io/promote"
ABORT = "modelyard.io/abort"

REJECTING = ("RolledBack", "Aborted", "GateFailed")


def calculate_stall(spec: InferenceServiceSpec, st: InferenceServiceStatus) -> Rejection | None:
    """The rejection that holds the service Stalled until the spec changes, if any.

    Pinned: the pinned version was rejected. Tracked: the last rollout ended in a rejection.
    """
    by_name = {r.model_version: r for r in st.rejections}
    if spec.model.model_version is not None:
        return by_name.get(spec.model.model_version)
    last = st.history[0] if st.history else None
    return by_name.get(last.model_version) if last is not None and last.outcome in REJECTING else None


@dataclass(frozen=True)
class Serving:
    """What the summary needs of the observed world."""

    generation: int | None
    total_replicas: int
    stable_ready: int
    waiting: str | None = None


def calculate_summary(spec: InferenceServiceSpec, st: InferenceServiceStatus, obs: Serving, now: datetime) -> None:
    """phase, message and conditions (Ready / Reconciling / Stalled) from the state reached."""
    phase, ready, stalled, reason, message = _summary(spec, st, obs, now)
    st.phase, st.message = phase, message
    st.conditions = summarize(st.conditions, ready=ready, reconciling=not stalled and not ready, stalled=stalled,
                              reason=reason, message=message, now=now, generation=obs.generation)


_Summary = tuple[ServicePhase, bool | None, bool, str, str]


def _summary(spec: InferenceServiceSpec, st: InferenceServiceStatus, obs: Serving, now: datetime) -> _Summary:
    if st.canary is not None:
        return _canary_summary(spec, st)
    stall = calculate_stall(spec, st)
    serving = f"serving {st.stable.model_version}" if st.stable else "serving nothing"
    if stall is not None:
        return ServicePhase.DEGRADED, False, True, stall.reason, f"{serving}; {stall.model_version} " \
            f"rejected: {stall.message}"
    if st.stable is None:
        return ServicePhase.PROGRESSING, None, False, "WaitingForModelVersion", obs.waiting or "no version to serve"
    pinned = spec.model.model_version
    if pinned is not None and pinned != st.stable.model_version and pinned not in st.rejected:
        return ServicePhase.PROGRESSING, False, False, "WaitingForModelVersion", f"{serving}; waiting for " \
            f"{pinned}: {obs.waiting or 'not started yet'}"
    if obs.stable_ready >= obs.total_replicas:
        st.step_started = None
        return ServicePhase.HEALTHY, True, False, "Healthy", serving
    if st.step_started is not None and now - st.step_started > parse_duration(spec.rollout.ready_deadline):
        return ServicePhase.DEGRADED, False, True, "DeadlineExceeded", f"{serving}: not ready within " \
            f"{spec.rollout.ready_deadline}"
    reason = "Deploying" if st.step_started is not None else "Unavailable"
    phase = ServicePhase.PROGRESSING if st.step_started is not None else ServicePhase.DEGRADED
    return phase, False, False, reason, f"{serving}: {obs.stable_ready}/{obs.total_replicas} ready"


def _canary_summary(spec: InferenceServiceSpec, st: InferenceServiceStatus) -> _Summary:
    assert st.canary is not None
    steps, i = spec.rollout.steps, st.current_step or 0
    where = f"canary {st.canary.model_version} at step {i}/{len(steps)}, weight {st.canary_weight}%"
    if st.analysis is not None and st.analysis.verdict == Verdict.INCONCLUSIVE:
        return ServicePhase.PAUSED, False, False, "AnalysisInconclusive", f"{where}: analysis inconclusive, " \
            f"promote or abort"
    if spec.rollout.paused:
        return ServicePhase.PAUSED, False, False, "Paused", f"{where}: paused by spec.rollout.paused"
    if i < len(steps) and steps[i].pause is not None and steps[i].pause.duration is None:  # type: ignore[union-attr]
        return ServicePhase.PAUSED, False, False, "AwaitingPromotion", f"{where}: waiting for {PROMOTE}"
    return ServicePhase.PROGRESSING, False, False, "Progressing", where


def is_settled(spec: InferenceServiceSpec, status: InferenceServiceStatus, generation: int | None,
               desired: str | None) -> bool:
    """Nothing left to do until the spec or the registry changes (the resync timer then makes no API call).

    Healthy or Stalled, no canary, nothing being scaled down, the spec's generation seen, and no new
    version asked for (``desired``: the pinned name, or the tracked candidate from the index).
    """
    if status.canary is not None or status.retiring or status.observed_generation != generation:
        return False
    stalled = any(c.type == "Stalled" and c.status == "True" for c in status.conditions)
    if status.phase != ServicePhase.HEALTHY and not stalled:
        return False
    stable = status.stable.model_version if status.stable else None
    return desired is None or desired == stable or desired in status.rejected
