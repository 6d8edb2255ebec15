"""The real PrometheusMetricsProvider against a fake Prometheus answering garbage, judged by the analysis
rules: whatever the shape (in the value query or the traffic query), the verdict is Error or Inconclusive,
never Successful. ``test_prometheus.py`` checks the error messages; this checks what they count as."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelyard.adapters.metrics.prometheus import PrometheusMetricsProvider
from modelyard.core.analysis import Verdict, assess_measurement

from .conftest import NOW, ServerFactory, metric
from .test_prometheus import TARGET, fake_prometheus, spec, vector

GOOD = json.dumps(vector("0.01"))  # passes the threshold (max 1) on its own
SHAPES: list[tuple[str, int, str]] = [
    ("nan", 200, json.dumps(vector("NaN"))),
    ("plus-inf", 200, json.dumps(vector("+Inf"))),
    ("minus-inf", 200, json.dumps(vector("-Inf"))),
    ("empty-vector", 200, json.dumps(vector())),
    ("several-series", 200, json.dumps(vector("0.01", "0.02"))),
    ("non-numeric", 200, json.dumps(vector("abc"))),
    ("number-not-string", 200, json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {}, "value": [1700000000.0, None]}]}})),
    ("matrix", 200, json.dumps({"status": "success", "data": {"resultType": "matrix", "result": []}})),
    ("string-result", 200, json.dumps({"status": "success", "data": {"resultType": "string", "result": [1, "x"]}})),
    ("status-error-200", 200, json.dumps({"status": "error", "errorType": "timeout", "error": "query timed out"})),
    ("empty-body", 200, ""),
    ("json-null", 200, "null"),
    ("html-500", 500, "<html>oops</html>"),
    ("slow", 200, "SLOW"),
]
ALLOWED = {Verdict.ERROR, Verdict.INCONCLUSIVE}


async def _judge(serve: ServerFactory, answers: dict[str, tuple[int, str]], traffic: str | None) -> Any:
    base = await serve({"/api/v1/query": fake_prometheus(answers, [])})
    m = metric(spec(base, "q", traffic)).model_copy(update={"min_requests": 0})
    reading = await PrometheusMetricsProvider(timeout_seconds=0.2).measure(m, TARGET, NOW)
    return assess_measurement(m, reading)


@pytest.mark.parametrize(("status", "body"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
async def test_garbage_value_is_never_a_pass(serve: ServerFactory, status: int, body: str) -> None:
    verdict, why = await _judge(serve, {"q": (status, body)}, None)
    assert verdict in ALLOWED, (verdict, why)


@pytest.mark.parametrize(("status", "body"), [s[1:] for s in SHAPES if s[0] != "empty-vector"],
                         ids=[s[0] for s in SHAPES if s[0] != "empty-vector"])
async def test_garbage_traffic_is_never_a_pass(serve: ServerFactory, status: int, body: str) -> None:
    """A good value with garbage traffic (no series is zero requests, tested in test_prometheus.py)."""
    verdict, why = await _judge(serve, {"q": (200, GOOD), "t": (status, body)}, "t")
    assert verdict in ALLOWED, (verdict, why)


async def test_a_sane_answer_passes(serve: ServerFactory) -> None:
    """The same path with sane answers is Successful: the cases above can fail."""
    verdict, why = await _judge(serve, {"q": (200, GOOD), "t": (200, json.dumps(vector("150")))}, "t")
    assert verdict == Verdict.SUCCESSFUL, why
