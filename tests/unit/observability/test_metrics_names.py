"""Operator metrics follow Prometheus naming and controller-runtime's shapes."""

from __future__ import annotations

import re

import pytest

from modelyard.adapters import telemetry
from modelyard.adapters.telemetry import REGISTRY, instrumented


def families() -> dict[str, object]:
    return {m.name: m for m in REGISTRY.collect()}


def test_names_are_prefixed_and_counters_end_in_total() -> None:
    for metric in REGISTRY.collect():
        assert metric.name.startswith("modelyard_")
        assert re.fullmatch(r"[a-z_]+", metric.name)
        if metric.type == "counter":  # the client strips _total from the family name
            assert f"{metric.name}_total" in {s.name for s in metric.samples} or not metric.samples
        if metric.type == "histogram":
            assert metric.name.endswith("_seconds")


def test_controller_runtime_shapes_exist() -> None:
    names = families()
    for name in ("modelyard_reconcile", "modelyard_reconcile_errors", "modelyard_reconcile_time_seconds",
                 "modelyard_canary_weight", "modelyard_rollout_status", "modelyard_rollouts",
                 "modelyard_rollbacks", "modelyard_training_jobs", "modelyard_training_duration_seconds",
                 "modelyard_modelversions_registered", "modelyard_analysis_measurements",
                 "modelyard_api_client_errors", "modelyard_api_client_retries"):
        assert name in names, name


async def test_instrumented_counts_success_and_error() -> None:
    @instrumented("unit-test")
    async def ok() -> int:
        return 1

    @instrumented("unit-test")
    async def boom() -> None:
        raise RuntimeError("x")

    before_ok = REGISTRY.get_sample_value("modelyard_reconcile_total", {"controller": "unit-test", "result": "success"})
    await ok()
    with pytest.raises(RuntimeError):
        await boom()
    assert REGISTRY.get_sample_value(
        "modelyard_reconcile_total", {"controller": "unit-test", "result": "success"}) == (before_ok or 0) + 1
    assert REGISTRY.get_sample_value("modelyard_reconcile_errors_total", {"controller": "unit-test"}) >= 1
    assert REGISTRY.get_sample_value("modelyard_reconcile_time_seconds_count", {"controller": "unit-test"}) >= 2


def test_service_gauges_are_removed_with_the_object() -> None:
    telemetry.record_service_state("ns", "svc", "Degraded", 0)
    assert REGISTRY.get_sample_value("modelyard_rollout_status", {"namespace": "ns", "name": "svc"}) == 3
    telemetry.forget_service("ns", "svc")
    assert REGISTRY.get_sample_value("modelyard_rollout_status", {"namespace": "ns", "name": "svc"}) is None


class TemporaryError(Exception):
    """Named like kopf's: the handler asks to be called again later."""


async def test_instrumented_counts_a_requeue_apart_from_errors() -> None:
    @instrumented("unit-requeue")
    async def later() -> None:
        raise TemporaryError("again")

    with pytest.raises(TemporaryError):
        await later()
    labels = {"controller": "unit-requeue", "result": "requeue"}
    assert REGISTRY.get_sample_value("modelyard_reconcile_total", labels) == 1
    assert REGISTRY.get_sample_value("modelyard_reconcile_errors_total", {"controller": "unit-requeue"}) is None
