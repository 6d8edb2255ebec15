"""The benchmarks' arithmetic: percentiles, ratios, rates, status predicates, /proc parsing."""

from __future__ import annotations

from typing import Any

import pytest
from bench.stats import (
    agent_class,
    condition_is_true,
    has_first_status,
    per_object_per_hour,
    percentile,
    proc_status_kib,
    ratio,
)


@pytest.mark.parametrize(("values", "q", "want"), [
    ([], 50, None),
    ([3.0], 99, 3.0),
    ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
    ([4.0, 1.0, 3.0, 2.0], 0, 1.0),
    ([4.0, 1.0, 3.0, 2.0], 100, 4.0),
    ([float(i) for i in range(1, 101)], 99, 99.01),
], ids=["empty", "one", "median-even", "min-unsorted", "max", "p99-of-100"])
def test_percentile(values: list[float], q: float, want: float | None) -> None:
    assert percentile(values, q) == (None if want is None else pytest.approx(want))


@pytest.mark.parametrize(("ours", "base", "want"), [
    (2.0, 1.0, 2.0), (None, 1.0, None), (1.0, None, None), (1.0, 0.0, None),
], ids=["double", "ours-unknown", "baseline-unknown", "baseline-zero"])
def test_ratio(ours: float | None, base: float | None, want: float | None) -> None:
    assert ratio(ours, base) == want


@pytest.mark.parametrize(("count", "objects", "seconds", "want"), [
    (0, 1000, 60, 0.0), (10, 1000, 60, 0.6), (1, 1, 3600, 1.0), (5, 0, 60, None), (5, 10, 0, None),
], ids=["none", "ten-in-a-minute", "one-an-hour", "no-objects", "no-window"])
def test_per_object_per_hour(count: int, objects: int, seconds: float, want: float | None) -> None:
    assert per_object_per_hour(count, objects, seconds) == (None if want is None else pytest.approx(want))


@pytest.mark.parametrize(("agent", "want"), [
    ("modelyard-bench", "bench"), ("sandbox-controllers", "controllers"), ("kopf/1.45.2", "operator"),
    ("Python/3.11 aiohttp/3.14", "operator"), ("", "operator"),
], ids=["bench", "controllers", "kopf", "our-client", "none"])
def test_agent_class(agent: str, want: str) -> None:
    assert agent_class(agent) == want


def _body(generation: int | None, status: dict[str, Any] | None) -> dict[str, Any]:
    return {"metadata": {"generation": generation}, "status": status}


@pytest.mark.parametrize(("body", "want"), [
    (_body(1, None), False),
    (_body(1, {"observedGeneration": 1}), True),
    (_body(2, {"observedGeneration": 1}), False),
    (_body(1, {"conditions": []}), False),
], ids=["no-status", "current", "stale-generation", "no-observed-generation"])
def test_has_first_status(body: dict[str, Any], want: bool) -> None:
    assert has_first_status(body) is want


@pytest.mark.parametrize(("conditions", "want"), [
    ([{"type": "Ready", "status": "True"}], True),
    ([{"type": "Ready", "status": "Unknown"}], False),
    ([{"type": "Reconciling", "status": "True"}], False),
    ([], False),
], ids=["true", "unknown", "other-type", "none"])
def test_condition_is_true(conditions: list[dict[str, str]], want: bool) -> None:
    assert condition_is_true(_body(1, {"conditions": conditions}), "Ready") is want


@pytest.mark.parametrize(("text", "field", "want"), [
    ("Name:\tpython\nVmHWM:\t  9000 kB\nVmRSS:\t  8192 kB\n", "VmRSS", 8192),
    ("Name:\tpython\nVmHWM:\t  9000 kB\nVmRSS:\t  8192 kB\n", "VmHWM", 9000),
    ("Name:\tzombie\n", "VmRSS", None),
], ids=["rss", "peak", "gone"])
def test_proc_status_kib(text: str, field: str, want: int | None) -> None:
    assert proc_status_kib(text, field) == want
