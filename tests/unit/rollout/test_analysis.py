"""Judging measurements: verdicts, counters with Argo Rollouts' limits, idempotent counting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelyard.api.common import Threshold
from modelyard.api.inferenceservice import (
    Analysis,
    AnalysisMetric,
    AnalysisStatus,
    BuiltinProvider,
    MetricProvider,
    MetricStatus,
)
from modelyard.core.analysis import (
    Verdict,
    assess_analysis,
    assess_measurement,
    assess_metric,
    calculate_analysis_status,
    calculate_due_metrics,
    calculate_failing_measurements,
)
from modelyard.core.measurement import Measurement

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def metric(name: str = "errors", min_requests: int = 20, interval: str | None = None,
           **bounds: float) -> AnalysisMetric:
    return AnalysisMetric(name=name, threshold=Threshold(**bounds or {"max": 0.05}), min_requests=min_requests,
                          interval=interval, provider=MetricProvider(builtin=BuiltinProvider(metric="errorRate")))


@pytest.mark.parametrize(
    ("m", "bounds", "expected"),
    [
        (Measurement("errors", T0, value=0.01, requests=100), {"max": 0.05}, Verdict.SUCCESSFUL),
        (Measurement("errors", T0, value=0.05, requests=100), {"max": 0.05}, Verdict.SUCCESSFUL),
        (Measurement("errors", T0, value=0.06, requests=100), {"max": 0.05}, Verdict.FAILED),
        (Measurement("errors", T0, value=0.5, requests=100), {"min": 0.4, "max": 0.6}, Verdict.SUCCESSFUL),
        (Measurement("errors", T0, value=0.3, requests=100), {"min": 0.4, "max": 0.6}, Verdict.FAILED),
        (Measurement("errors", T0, value=0.0, requests=19), {"max": 0.05}, Verdict.INCONCLUSIVE),
        (Measurement("errors", T0, value=0.9, requests=0), {"max": 0.05}, Verdict.INCONCLUSIVE),
        (Measurement("errors", T0, value=0.0, requests=None), {"max": 0.05}, Verdict.SUCCESSFUL),
        (Measurement("errors", T0, value=float("nan"), requests=50), {"max": 0.05}, Verdict.INCONCLUSIVE),
        (Measurement("errors", T0, value=float("inf"), requests=50), {"max": 0.05}, Verdict.INCONCLUSIVE),
        (Measurement("errors", T0, error="timeout"), {"max": 0.05}, Verdict.ERROR),
        (Measurement("errors", T0, requests=0, error="no infer requests in the window"), {"max": 0.05},
         Verdict.INCONCLUSIVE),
        (Measurement("errors", T0, requests=500, error="bad query"), {"max": 0.05}, Verdict.ERROR),
        (Measurement("errors", T0), {"max": 0.05}, Verdict.ERROR),
    ],
    ids=["pass", "pass-on-bound", "fail", "in-range", "below-range", "too-little-traffic",
         "no-traffic-bad-value-still-inconclusive", "traffic-unknown-judged", "nan", "inf", "error",
         "no-requests-is-inconclusive-not-error", "error-with-traffic", "no-value"],
)
def test_assess_measurement(m: Measurement, bounds: dict[str, float], expected: Verdict) -> None:
    assert assess_measurement(metric(**bounds), m)[0] == expected


@pytest.mark.parametrize(
    ("limits", "counters", "expected"),
    [
        ({}, {}, Verdict.RUNNING),
        ({}, {"failed": 1}, Verdict.FAILED),
        ({"failure_limit": 2}, {"failed": 2}, Verdict.RUNNING),
        ({"failure_limit": 2}, {"failed": 3}, Verdict.FAILED),
        ({}, {"inconclusive": 1}, Verdict.INCONCLUSIVE),
        ({"inconclusive_limit": 1}, {"inconclusive": 1}, Verdict.RUNNING),
        ({}, {"consecutive_errors": 4, "errors": 9}, Verdict.RUNNING),
        ({}, {"consecutive_errors": 5}, Verdict.ERROR),
        ({"consecutive_error_limit": 0}, {"consecutive_errors": 1}, Verdict.ERROR),
        ({}, {"consecutive_errors": 5, "failed": 1}, Verdict.ERROR),
        ({}, {"failed": 1, "inconclusive": 3}, Verdict.FAILED),
    ],
    ids=["fresh", "first-failure-fails-by-default", "within-failure-limit", "past-failure-limit",
         "first-inconclusive-by-default", "within-inconclusive-limit", "errors-up-to-default-4",
         "fifth-error-in-a-row", "error-limit-zero", "error-beats-failure", "failure-beats-inconclusive"],
)
def test_assess_metric_limits(limits: dict[str, int], counters: dict[str, int], expected: Verdict) -> None:
    assert assess_metric(Analysis(**limits), MetricStatus(name="m", **counters)) == expected  # type: ignore[arg-type]


def test_analysis_verdict_is_the_worst_metric() -> None:
    a = Analysis()
    assert assess_analysis(a, [MetricStatus(name="a"), MetricStatus(name="b", inconclusive=1)]) == "Inconclusive"
    assert assess_analysis(a, [MetricStatus(name="a", failed=1), MetricStatus(name="b", inconclusive=1)]) == "Failed"
    assert assess_analysis(a, []) == "Running"


def fold(analysis: Analysis, readings: list[dict[str, Any]]) -> AnalysisStatus:
    status: AnalysisStatus | None = None
    for i, r in enumerate(readings):
        status = calculate_analysis_status(analysis, status, [Measurement("errors", T0 + timedelta(minutes=i), **r)])
    assert status is not None
    return status


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        ([{"error": "x"}] * 4, {"errors": 4, "consecutive_errors": 4, "verdict": "Running"}),
        ([{"error": "x"}] * 5, {"errors": 5, "consecutive_errors": 5, "verdict": "Error"}),
        ([{"error": "x"}] * 4 + [{"value": 0.0, "requests": 50}] + [{"error": "x"}] * 4,
         {"errors": 8, "consecutive_errors": 4, "successful": 1, "verdict": "Running"}),
        ([{"value": 0.0, "requests": 50}, {"value": 0.2, "requests": 50}],
         {"successful": 1, "failed": 1, "verdict": "Failed"}),
        ([{"value": 0.0, "requests": 2}], {"inconclusive": 1, "verdict": "Inconclusive"}),
    ],
    ids=["errors-up-to-limit", "errors-past-limit", "success-resets-the-run", "fail", "inconclusive"],
)
def test_counters(readings: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    status = fold(Analysis(metrics=[metric()]), readings)
    counters = status.metrics[0].model_dump()
    assert {k: (status.verdict if k == "verdict" else counters[k]) for k in expected} == expected


def test_a_measurement_is_never_counted_twice() -> None:
    analysis = Analysis(metrics=[metric()])
    m = Measurement("errors", T0, value=0.2, requests=100)
    once = calculate_analysis_status(analysis, None, [m])
    twice = calculate_analysis_status(analysis, once, [m])
    older = calculate_analysis_status(analysis, once, [Measurement("errors", T0 - timedelta(seconds=1), value=0.2,
                                                                   requests=100)])
    assert once == twice == older
    assert once.metrics[0].failed == 1


def test_unknown_metric_is_ignored_and_failing_measurements_are_reported() -> None:
    analysis = Analysis(metrics=[metric()])
    status = calculate_analysis_status(analysis, None, [Measurement("other", T0, value=1.0),
                                                        Measurement("errors", T0, value=0.5, requests=40)])
    assert [m.name for m in status.metrics] == ["errors"]
    failing = calculate_failing_measurements(analysis, status)
    assert [(f.metric, f.verdict, f.value) for f in failing] == [("errors", "Failed", 0.5)]


@pytest.mark.parametrize(
    ("started_minutes_ago", "last_minutes_ago", "interval", "due"),
    [(None, None, None, False), (0.5, None, None, False), (1, None, None, True), (5, 0.5, None, False),
     (5, 1, None, True), (5, 0.5, "20s", True), (5, 0.2, "20s", False)],
    ids=["no-traffic-yet", "first-window-not-full", "first-window-full", "interval-not-passed", "interval-passed",
         "own-interval-passed", "own-not-passed"],
)
def test_due_metrics(started_minutes_ago: float | None, last_minutes_ago: float | None, interval: str | None,
                     due: bool) -> None:
    analysis = Analysis(interval="1m", metrics=[metric(interval=interval)])
    started = None if started_minutes_ago is None else T0 - timedelta(minutes=started_minutes_ago)
    status = AnalysisStatus(started=started)
    if last_minutes_ago is not None:
        status = calculate_analysis_status(
            analysis, status, [Measurement("errors", T0 - timedelta(minutes=last_minutes_ago), value=0.0,
                                           requests=99)])
    assert bool(calculate_due_metrics(analysis, status, T0)) is due
