"""The builtin provider's arithmetic: quantiles as Prometheus computes them, error rates, windows."""

from __future__ import annotations

import math

import pytest

from modelyard.adapters.metrics.window import Snapshot, combine, error_rate, histogram_quantile, parse_snapshot, window

INF = math.inf
# Cases checked against Prometheus' promql/quantile.go bucketQuantile.
QUANTILE_CASES: list[tuple[str, float, dict[float, float], float]] = [
    ("midpoint-of-only-bucket", 0.5, {0.1: 0.0, 0.2: 10.0, INF: 10.0}, 0.15),
    ("first-bucket-from-zero", 0.5, {0.1: 10.0, INF: 10.0}, 0.05),
    ("p99-interpolated", 0.99, {0.01: 50.0, 0.1: 100.0, INF: 100.0}, 0.01 + 0.09 * (49 / 50)),
    ("in-inf-bucket-gives-highest-finite", 0.99, {0.1: 5.0, 1.0: 8.0, INF: 10.0}, 1.0),
    ("empty-histogram-is-nan", 0.5, {0.1: 0.0, INF: 0.0}, math.nan),
    ("no-inf-bucket-is-nan", 0.5, {0.1: 3.0, 0.2: 4.0}, math.nan),
    ("single-bucket-is-nan", 0.5, {INF: 3.0}, math.nan),
    ("non-monotonic-is-fixed", 0.5, {0.1: 6.0, 0.2: 5.0, INF: 10.0}, 0.1 * 5 / 6),
    ("q-above-one", 1.5, {0.1: 1.0, INF: 1.0}, INF),
    ("q-below-zero", -0.5, {0.1: 1.0, INF: 1.0}, -INF),
    ("negative-first-bound", 0.5, {-1.0: 10.0, INF: 10.0}, -1.0),
]


@pytest.mark.parametrize(("q", "buckets", "expected"), [c[1:] for c in QUANTILE_CASES],
                         ids=[c[0] for c in QUANTILE_CASES])
def test_histogram_quantile(q: float, buckets: dict[float, float], expected: float) -> None:
    got = histogram_quantile(q, buckets)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize(("codes", "expected"), [
    ({"200": 90.0, "500": 6.0, "503": 4.0}, 0.1),
    ({"200": 10.0, "400": 10.0}, 0.0),
    ({"500": 3.0}, 1.0),
    ({"200": 0.0}, None),
    ({}, None),
], ids=["mixed", "4xx-are-not-errors", "all-errors", "no-requests", "no-series"])
def test_error_rate(codes: dict[str, float], expected: float | None) -> None:
    assert error_rate(codes) == expected


@pytest.mark.parametrize(("previous", "current", "expected"), [
    (None, Snapshot({"200": 4.0}, {1.0: 4.0}), Snapshot({"200": 4.0}, {1.0: 4.0})),
    (Snapshot({"200": 4.0}, {1.0: 4.0}), Snapshot({"200": 6.0, "500": 1.0}, {1.0: 7.0}),
     Snapshot({"200": 2.0, "500": 1.0}, {1.0: 3.0})),
    (Snapshot({"200": 9.0}, {1.0: 9.0}), Snapshot({"200": 2.0}, {1.0: 2.0}), Snapshot({"200": 2.0}, {1.0: 2.0})),
    (Snapshot({"200": 1.0, "500": 1.0}), Snapshot({"200": 3.0}), Snapshot({"200": 3.0})),
], ids=["first-scrape-is-since-start", "difference", "counter-reset", "series-vanished-is-a-reset"])
def test_window(previous: Snapshot | None, current: Snapshot, expected: Snapshot) -> None:
    assert window(previous, current) == expected


def test_combine_sums_pods() -> None:
    total = combine([Snapshot({"200": 1.0}, {1.0: 1.0}), Snapshot({"200": 2.0, "500": 1.0}, {1.0: 3.0})])
    assert total == Snapshot({"200": 3.0, "500": 1.0}, {1.0: 4.0})


PAGE = """# HELP modelyard_server_requests_total Infer requests.
# TYPE modelyard_server_requests_total counter
modelyard_server_requests_total{model="m",version="1",code="200"} 7.0
modelyard_server_requests_total{model="m",version="1",code="500"} 3.0
# TYPE modelyard_server_request_duration_seconds histogram
modelyard_server_request_duration_seconds_bucket{model="m",version="1",le="0.1"} 6.0
modelyard_server_request_duration_seconds_bucket{model="m",version="1",le="+Inf"} 10.0
modelyard_server_request_duration_seconds_count{model="m",version="1"} 10.0
modelyard_server_request_duration_seconds_sum{model="m",version="1"} 0.9
# TYPE other_total counter
other_total 5.0
"""


def test_parse_snapshot() -> None:
    assert parse_snapshot(PAGE) == Snapshot({"200": 7.0, "500": 3.0}, {0.1: 6.0, INF: 10.0})


@pytest.mark.parametrize("text", [
    "<html>hello</html>",
    "# TYPE other_total counter\nother_total 1\n",
    "",
    'modelyard_server_requests_total{code="200" 1\n',
], ids=["html", "foreign-metrics", "empty", "broken-line"])
def test_parse_snapshot_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_snapshot(text)
