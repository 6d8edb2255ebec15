"""A metric provider that hangs or raises is an Error reading, never a stuck reconcile or a pass."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from modelyard.adapters.kube import KubeClient
from modelyard.adapters.metrics.base import Target
from modelyard.api.inferenceservice import AnalysisMetric, InferenceServiceSpec, InferenceServiceStatus
from modelyard.controller import inferenceservice as controller
from modelyard.core.measurement import Measurement

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SPEC = InferenceServiceSpec.model_validate({
    "model": {"modelVersion": "iris-v2"},
    "analysis": {"interval": "1s", "metrics": [
        {"name": "errors", "provider": {"builtin": {"metric": "errorRate"}}, "threshold": {"max": 0.05}}]},
})
STATUS = InferenceServiceStatus.model_validate({
    "stable": {"modelVersion": "iris-v1"}, "canary": {"modelVersion": "iris-v2"}, "canaryWeight": 20,
    "analysis": {"verdict": "Running", "started": "2026-05-01T11:59:00Z"}})


class Hangs:
    async def measure(self, metric: AnalysisMetric, target: Target, now: datetime) -> Measurement:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class Raises:
    async def measure(self, metric: AnalysisMetric, target: Target, now: datetime) -> Measurement:
        raise ValueError("garbage from the provider")


@pytest.mark.parametrize(
    ("provider", "error"),
    [(Hangs(), "did not answer within 1s"), (Raises(), "ValueError: garbage from the provider")],
    ids=["hangs", "raises"],
)
async def test_a_failing_provider_is_an_error_reading(
        monkeypatch: pytest.MonkeyPatch, provider: Any, error: str) -> None:
    monkeypatch.setattr(controller, "MIN_MEASURE_SECONDS", 0.05)  # the 1s interval bounds the call
    deps = controller.Deps(kube=cast(KubeClient, None), image="server:1", providers=lambda _m: provider)
    [reading] = await asyncio.wait_for(controller.measure(deps, SPEC, STATUS, "default", "web", [], NOW), 5)
    assert reading.metric == "errors" and reading.value is None
    assert reading.error is not None and error in reading.error
