"""Judging measurements (pure): a verdict per measurement, counters per metric, one verdict per analysis.

Providers (``adapters/metrics``) measure; this module judges, as Argo Rollouts keeps ``metric.Provider``
apart from ``assessMetricStatus``. The limits have Argo Rollouts' meanings:

- ``failureLimit``: Failed measurements tolerated; one more fails the analysis (default 0: the first fails).
- ``inconclusiveLimit``: Inconclusive measurements tolerated; one more makes the analysis Inconclusive,
  which pauses the rollout until someone promotes or aborts it.
- ``consecutiveErrorLimit``: provider errors in a row tolerated; one more makes the analysis Error, which
  fails it. A non-error measurement resets the run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from modelyard.api.common import Threshold
from modelyard.api.inferenceservice import (
    Analysis,
    AnalysisMetric,
    AnalysisStatus,
    MeasurementRecord,
    MetricStatus,
)
from modelyard.core.measurement import Measurement
from modelyard.core.steps import parse_duration


class Verdict(StrEnum):
    RUNNING = "Running"
    SUCCESSFUL = "Successful"
    FAILED = "Failed"
    INCONCLUSIVE = "Inconclusive"
    ERROR = "Error"


def assess_measurement(metric: AnalysisMetric, m: Measurement) -> tuple[Verdict, str]:
    """The verdict on one measurement and why. Too little traffic is Inconclusive, never a pass.

    >>> from datetime import datetime, timezone
    >>> from modelyard.api.inferenceservice import BuiltinProvider, MetricProvider
    >>> spec = AnalysisMetric(name="errors", threshold=Threshold(max=0.05), min_requests=20,
    ...                       provider=MetricProvider(builtin=BuiltinProvider(metric="errorRate")))
    >>> at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> [assess_measurement(spec, Measurement("errors", at, value=v, requests=r))[0].value
    ...  for v, r in ((0.01, 100), (0.2, 100), (0.0, 3), (float("nan"), 100), (0.0, float("nan")))]
    ['Successful', 'Failed', 'Inconclusive', 'Inconclusive', 'Inconclusive']
    >>> assess_measurement(spec, Measurement("errors", at, error="connection refused"))
    (<Verdict.ERROR: 'Error'>, 'connection refused')
    """
    if m.requests is not None and not math.isfinite(m.requests):  # NaN compares False: never let it pass
        return Verdict.INCONCLUSIVE, f"traffic reading {m.requests} cannot be judged"
    if m.requests is not None and m.requests < metric.min_requests:  # before errors: "no requests" is no error
        return Verdict.INCONCLUSIVE, f"{m.requests:g} requests, fewer than the {metric.min_requests} needed to judge"
    if m.error is not None or m.value is None:
        return Verdict.ERROR, m.error or "the provider returned no value"
    if math.isnan(m.value) or math.isinf(m.value):
        return Verdict.INCONCLUSIVE, f"value {m.value} cannot be judged"
    if in_range(m.value, metric.threshold):
        return Verdict.SUCCESSFUL, f"{m.value:g} {describe_range(metric.threshold)}"
    return Verdict.FAILED, f"{m.value:g} outside {describe_range(metric.threshold)}"


def in_range(value: float, threshold: Threshold) -> bool:
    """Whether ``value`` lies in the closed range."""
    return (threshold.min is None or value >= threshold.min) and (threshold.max is None or value <= threshold.max)


def describe_range(threshold: Threshold) -> str:
    """The range in words: ``[0.9, 1]``, ``<= 0.05``, ``>= 0.9``."""
    if threshold.min is not None and threshold.max is not None:
        return f"[{threshold.min:g}, {threshold.max:g}]"
    return f"<= {threshold.max:g}" if threshold.max is not None else f">= {threshold.min:g}"


def calculate_metric_status(old: MetricStatus, verdict: Verdict, record: MeasurementRecord) -> MetricStatus:
    """The counters after one more measurement; a measurement not newer than the last is ignored.

    Ignoring a measurement at or before ``last.time`` makes counting idempotent: a status written
    after a measurement is never counted twice, whatever restarts happen in between.
    """
    if old.last is not None and record.time <= old.last.time:
        return old
    new = old.model_copy(update={"last": record})
    if verdict == Verdict.ERROR:
        new.errors, new.consecutive_errors = old.errors + 1, old.consecutive_errors + 1
        return new
    new.consecutive_errors = 0
    if verdict == Verdict.SUCCESSFUL:
        new.successful = old.successful + 1
    elif verdict == Verdict.FAILED:
        new.failed = old.failed + 1
    else:
        new.inconclusive = old.inconclusive + 1
    return new


def assess_metric(spec: Analysis, status: MetricStatus) -> Verdict:
    """One metric's verdict from its counters: Error, Failed, Inconclusive, or Running.

    >>> a = Analysis(failure_limit=1, inconclusive_limit=0, consecutive_error_limit=2)
    >>> [assess_metric(a, MetricStatus(name="m", **c)).value for c in
    ...  ({"failed": 1}, {"failed": 2}, {"inconclusive": 1}, {"consecutive_errors": 2}, {"consecutive_errors": 3})]
    ['Running', 'Failed', 'Inconclusive', 'Running', 'Error']
    """
    if status.consecutive_errors > spec.consecutive_error_limit:
        return Verdict.ERROR
    if status.failed > spec.failure_limit:
        return Verdict.FAILED
    if status.inconclusive > spec.inconclusive_limit:
        return Verdict.INCONCLUSIVE
    return Verdict.RUNNING


_WORST_FIRST = (Verdict.ERROR, Verdict.FAILED, Verdict.INCONCLUSIVE)


def assess_analysis(spec: Analysis, statuses: Sequence[MetricStatus]) -> Verdict:
    """The analysis verdict: the worst metric verdict (Error, then Failed, then Inconclusive), else Running."""
    verdicts = {assess_metric(spec, s) for s in statuses}
    return next((v for v in _WORST_FIRST if v in verdicts), Verdict.RUNNING)


def calculate_due_metrics(spec: Analysis, status: AnalysisStatus | None, now: datetime) -> list[AnalysisMetric]:
    """The metrics whose interval has passed since their last measurement, or, for the first one, since
    the canary started taking traffic (``status.started``): every window is a full one, so the first
    measurement is not judged on the few requests of a window that had barely begun."""
    if status is None or status.started is None:
        return []
    last = {m.name: m.last.time for m in status.metrics if m.last is not None}
    return [metric for metric in spec.metrics
            if now - last.get(metric.name, status.started) >= parse_duration(metric.interval or spec.interval)]


def calculate_analysis_status(
    spec: Analysis, status: AnalysisStatus | None, measurements: Sequence[Measurement]
) -> AnalysisStatus:
    """Fold this tick's measurements into the counters and re-assess the analysis."""
    by_name = {m.name: m for m in (status.metrics if status else [])}
    specs = {m.name: m for m in spec.metrics}
    for m in measurements:
        metric = specs.get(m.metric)
        if metric is None:
            continue
        verdict, why = assess_measurement(metric, m)
        record = MeasurementRecord(metric=m.metric, verdict=verdict.value, value=_finite(m.value),
                                   requests=_finite(m.requests), message=why, time=m.at)
        by_name[m.metric] = calculate_metric_status(by_name.get(m.metric, MetricStatus(name=m.metric)), verdict,
                                                    record)
    metrics = [by_name[name] for name in specs if name in by_name]
    return AnalysisStatus(verdict=assess_analysis(spec, metrics).value, metrics=metrics,
                          started=status.started if status else None)


def calculate_failing_measurements(spec: Analysis, status: AnalysisStatus | None) -> list[MeasurementRecord]:
    """The last measurement of each metric that is not passing (what a rejection records)."""
    return [m.last for m in (status.metrics if status else [])
            if m.last is not None and assess_metric(spec, m) != Verdict.RUNNING]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
