"""The rollout metrics move with a real canary: promoted, then rolled back on a failing analysis."""

from __future__ import annotations

from modelyard.adapters.telemetry import REGISTRY
from tests.integration.rollout.conftest import DrivenMetrics, Rollout, metrics, rollout  # noqa: F401 (fixtures)
from tests.integration.rollout.test_rollout_sandbox import serving_v1, stable_is


def _value(metric: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(metric, labels) or 0.0


async def test_rollout_metrics_move_after_a_canary(rollout: Rollout, metrics: DrivenMetrics) -> None:  # noqa: F811
    promoted = _value("modelyard_rollouts_total", outcome="Promoted")
    rolled_back = _value("modelyard_rollouts_total", outcome="RolledBack")
    by_analysis = _value("modelyard_rollbacks_total", reason="AnalysisFailed")
    passed, failed = (_value("modelyard_analysis_measurements_total", verdict=v) for v in ("Successful", "Failed"))
    await serving_v1(rollout)
    await rollout.version("iris-v2")
    await rollout.pin("iris-v2")
    await rollout.until("v2 promoted", stable_is("iris-v2"))
    assert _value("modelyard_rollouts_total", outcome="Promoted") >= promoted + 2  # first deploy, then v2
    assert _value("modelyard_analysis_measurements_total", verdict="Successful") > passed
    assert _value("modelyard_rollout_status", namespace="default", name="iris") == 0

    metrics.set(0.5)  # over the 5% error-rate threshold
    await rollout.version("iris-v3")
    await rollout.pin("iris-v3")
    await rollout.until("v3 rolled back", lambda st: "iris-v3" in (st.get("rejected") or []))
    assert _value("modelyard_rollouts_total", outcome="RolledBack") == rolled_back + 1
    assert _value("modelyard_rollbacks_total", reason="AnalysisFailed") == by_analysis + 1
    assert _value("modelyard_analysis_measurements_total", verdict="Failed") > failed
    assert _value("modelyard_canary_weight", namespace="default", name="iris") == 0
    assert _value("modelyard_rollout_status", namespace="default", name="iris") == 3
    moved = _value("modelyard_analysis_measurements_total", verdict="Failed") - failed
    print(f"\nrollout metrics: rolled back +1 (AnalysisFailed), failed measurements +{moved:.0f}")
