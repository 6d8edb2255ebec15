"""The rollout metrics one InferenceService decision moves (pure helpers, then the recording)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelyard.adapters import telemetry
from modelyard.adapters.telemetry import REGISTRY
from modelyard.api.common import Threshold
from modelyard.api.inferenceservice import (
    AnalysisMetric,
    BuiltinProvider,
    HistoryEntry,
    InferenceServiceStatus,
    MetricProvider,
    ServedVersion,
)
from modelyard.core.measurement import Measurement

AT = datetime(2026, 1, 1, tzinfo=UTC)
ERRORS = AnalysisMetric(name="errors", threshold=Threshold(max=0.05), min_requests=20,
                        provider=MetricProvider(builtin=BuiltinProvider(metric="errorRate")))


def entry(version: str, outcome: str, message: str = "", minutes: int = 0) -> HistoryEntry:
    return HistoryEntry(model_version=version, outcome=outcome, message=message, time=AT + timedelta(minutes=minutes))


@pytest.mark.parametrize(("measurement", "verdict"), [
    (Measurement("errors", AT, value=0.01, requests=100), "Successful"),
    (Measurement("errors", AT, value=0.5, requests=100), "Failed"),
    (Measurement("errors", AT, value=float("nan"), requests=100), "Inconclusive"),
    (Measurement("errors", AT, value=0.0, requests=0), "Inconclusive"),
    (Measurement("errors", AT, error="garbage"), "Error"),
    (Measurement("errors", AT, value=None, requests=100), "Error"),
    (Measurement("latency", AT, value=0.0, requests=100), "Error"),
], ids=["pass", "fail", "nan", "no-traffic", "provider-error", "empty", "unknown-metric"])
def test_measurement_verdicts_follow_the_analysis_rules(measurement: Measurement, verdict: str) -> None:
    assert telemetry.calculate_measurement_verdicts([ERRORS], [measurement]) == [verdict]


@pytest.mark.parametrize(("before", "after", "finished"), [
    ([], [], []),
    ([], [entry("v1", "Promoted")], ["v1"]),
    ([entry("v1", "Promoted")], [entry("v1", "Promoted")], []),
    ([entry("v1", "Promoted")], [entry("v2", "RolledBack", minutes=1), entry("v1", "Promoted")], ["v2"]),
    ([entry("v2", "RolledBack")], [entry("v2", "RolledBack", minutes=5), entry("v2", "RolledBack")], ["v2"]),
    ([entry("v1", "Promoted")], [entry("v3", "Promoted", minutes=2)], ["v3"]),  # history limit 1: v1 dropped
], ids=["none", "first", "unchanged", "rollback-added", "same-version-again", "bounded-history"])
def test_finished_rollouts_are_the_entries_added(before: list[HistoryEntry], after: list[HistoryEntry],
                                                 finished: list[str]) -> None:
    assert [e.model_version for e in telemetry.calculate_finished_rollouts(before, after)] == finished


@pytest.mark.parametrize(("outcome", "message", "reason"), [
    ("RolledBack", "v2 pods failing: pod x: CrashLoopBackOff (restarts 3)", "PodsFailing"),
    ("RolledBack", "v2 not ready within 15m", "ReadyDeadline"),
    ("RolledBack", "v2 failed analysis (Failed): errors: 0.5 outside <= 0.05", "AnalysisFailed"),
    ("RolledBack", "v2 failed analysis (Error): errors: connection refused", "AnalysisError"),
    ("RolledBack", "step 0 made no progress within 10m", "ProgressDeadline"),
    ("RolledBack", "something new", "Other"),
    ("Aborted", "v2 aborted by the annotation", "Aborted"),
], ids=["pods", "ready-deadline", "analysis-failed", "analysis-error", "progress-deadline", "other", "aborted"])
def test_rollback_reasons_are_bounded(outcome: str, message: str, reason: str) -> None:
    assert telemetry.calculate_rollback_reason(entry("v2", outcome, message)) == reason


def _value(metric: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(metric, labels) or 0.0


def test_record_rollout_moves_gauges_and_counters_once_per_finished_rollout() -> None:
    canary = ServedVersion(model_version="v2", model="m")
    before = InferenceServiceStatus(phase="Progressing", canary=canary, canary_weight=25)
    after = InferenceServiceStatus(phase="Degraded", history=[entry("v2", "RolledBack", "v2 failed analysis (Failed)")])
    rolled, failed = _value("modelyard_rollbacks_total", reason="AnalysisFailed"), _value(
        "modelyard_analysis_measurements_total", verdict="Failed")
    telemetry.record_rollout({"namespace": "ns", "name": "unit-svc"}, before, before, [ERRORS], [])
    assert _value("modelyard_canary_weight", namespace="ns", name="unit-svc") == 25
    telemetry.record_rollout({"namespace": "ns", "name": "unit-svc"}, before, after, [ERRORS],
                             [Measurement("errors", AT, value=0.5, requests=100)])
    telemetry.record_rollout({"namespace": "ns", "name": "unit-svc"}, after, after, [ERRORS], [])
    assert _value("modelyard_rollbacks_total", reason="AnalysisFailed") == rolled + 1
    assert _value("modelyard_analysis_measurements_total", verdict="Failed") == failed + 1
    assert _value("modelyard_canary_weight", namespace="ns", name="unit-svc") == 0
    assert _value("modelyard_rollout_status", namespace="ns", name="unit-svc") == 3
    telemetry.forget_service("ns", "unit-svc")
