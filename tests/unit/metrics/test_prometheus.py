"""PrometheusMetricsProvider against a fake Prometheus: every way an answer can be unusable."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from typing import Any

import pytest
from aiohttp import web

from modelyard.adapters.metrics.base import Target
from modelyard.adapters.metrics.prometheus import PrometheusMetricsProvider, QueryError, parse_instant, render_query

from .conftest import NOW, ServerFactory, metric

TARGET = Target(namespace="ml", service="iris", canary_version="iris-v2", stable_version="iris-v1",
                window_seconds=30)


def vector(*values: str) -> dict[str, Any]:
    result = [{"metric": {"pod": f"p{i}"}, "value": [1700000000.0, v]} for i, v in enumerate(values)]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


PARSE_CASES: list[tuple[str, Any, float | str]] = [
    ("one-sample", vector("0.25"), 0.25),
    ("scalar", {"status": "success", "data": {"resultType": "scalar", "result": [1.0, "3"]}}, 3.0),
    ("empty", vector(), "empty result"),
    ("several-series", vector("1", "2"), "2 series"),
    ("nan", vector("NaN"), "is NaN"),
    ("inf", vector("+Inf"), "is +Inf"),
    ("non-numeric", vector("abc"), "non-numeric"),
    ("status-error", {"status": "error", "errorType": "bad_data", "error": "parse error"}, "bad_data: parse error"),
    ("matrix", {"status": "success", "data": {"resultType": "matrix", "result": []}}, "returned a matrix"),
    ("no-data", {"status": "success"}, "no data"),
    ("not-an-object", [1, 2], "not a JSON object"),
    ("malformed-sample", {"status": "success", "data": {"resultType": "vector", "result": [{"value": 1}]}},
     "malformed sample"),
]


@pytest.mark.parametrize(("doc", "expected"), [c[1:] for c in PARSE_CASES], ids=[c[0] for c in PARSE_CASES])
def test_parse_instant(doc: Any, expected: float | str) -> None:
    if isinstance(expected, float):
        assert parse_instant(doc) == expected
    else:
        with pytest.raises(QueryError, match=re.escape(expected)):
            parse_instant(doc)


def test_render_query_fills_every_variable() -> None:
    q = '{{canary}} {{ stable }} {{namespace}} {{service}} {{interval}}'
    assert render_query(q, TARGET) == "iris-v2 iris-v1 ml iris 30s"


@pytest.mark.parametrize(("query", "message"), [
    ("{{nope}}", "unknown template variable {{nope}}"),
    ("{{stable}}", "no stable version"),
], ids=["unknown-variable", "no-stable"])
def test_render_query_errors(query: str, message: str) -> None:
    target = Target(namespace="ml", service="iris", canary_version="v2", stable_version=None)
    with pytest.raises(QueryError, match=message):
        render_query(query, target)


def fake_prometheus(answers: dict[str, tuple[int, str]], seen: list[str]) -> Any:
    async def handler(request: web.Request) -> web.Response:
        query = request.query["query"]
        seen.append(query)
        status, body = answers.get(query, (200, json.dumps(vector())))
        if body == "SLOW":
            await asyncio.sleep(5)
        return web.Response(status=status, text=body)
    return handler


def spec(address: str, query: str = "q", traffic: str | None = None) -> dict[str, object]:
    prom: dict[str, object] = {"address": address, "query": query}
    if traffic:
        prom["trafficQuery"] = traffic
    return {"prometheus": prom}


HTTP_CASES: list[tuple[str, int, str, str]] = [
    ("bad-promql", 400, json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error at char 3"}),
     "HTTP 400: bad_data: parse error at char 3"),
    ("html-503", 503, "<html>down</html>", "HTTP 503, not a Prometheus API answer"),
    ("not-json-200", 200, "hello", "HTTP 200, not a Prometheus API answer"),
    ("nan", 200, json.dumps(vector("NaN")), "is NaN"),
    ("empty", 200, json.dumps(vector()), "empty result"),
]


@pytest.mark.parametrize(("status", "body", "message"), [c[1:] for c in HTTP_CASES], ids=[c[0] for c in HTTP_CASES])
async def test_http_answers_become_errors(serve: ServerFactory, status: int, body: str, message: str) -> None:
    base = await serve({"/api/v1/query": fake_prometheus({"q": (status, body)}, [])})
    m = await PrometheusMetricsProvider().measure(metric(spec(base)), TARGET, NOW)
    assert m.value is None
    assert m.error is not None and message in m.error


async def test_value_and_traffic_with_templated_queries(serve: ServerFactory) -> None:
    seen: list[str] = []
    answers = {'err{v="iris-v2",ns="ml"}[30s]': (200, json.dumps(vector("0.02"))),
               'req{v="iris-v2"}': (200, json.dumps(vector("150")))}
    base = await serve({"/api/v1/query": fake_prometheus(answers, seen)})
    m = await PrometheusMetricsProvider().measure(
        metric(spec(base, 'err{v="{{canary}}",ns="{{namespace}}"}[{{interval}}]', 'req{v="{{canary}}"}')),
        TARGET, NOW)
    assert (m.value, m.requests, m.error) == (0.02, 150.0, None)
    assert seen == ['err{v="iris-v2",ns="ml"}[30s]', 'req{v="iris-v2"}']


async def test_traffic_without_series_is_zero_requests(serve: ServerFactory) -> None:
    base = await serve({"/api/v1/query": fake_prometheus({"q": (200, json.dumps(vector("0.5")))}, [])})
    m = await PrometheusMetricsProvider().measure(metric(spec(base, "q", "t")), TARGET, NOW)
    assert (m.value, m.requests, m.error) == (0.5, 0.0, None)


async def test_garbage_traffic_is_an_error(serve: ServerFactory) -> None:
    answers = {"q": (200, json.dumps(vector("0.5"))), "t": (200, json.dumps(vector("1", "2")))}
    base = await serve({"/api/v1/query": fake_prometheus(answers, [])})
    m = await PrometheusMetricsProvider().measure(metric(spec(base, "q", "t")), TARGET, NOW)
    assert m.value is None and m.error is not None and m.error.startswith("trafficQuery: 2 series")


async def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: refused
        m = await PrometheusMetricsProvider().measure(metric(spec(f"http://127.0.0.1:{port}")), TARGET, NOW)
    assert m.error is not None and "cannot reach Prometheus" in m.error


async def test_timeout(serve: ServerFactory) -> None:
    base = await serve({"/api/v1/query": fake_prometheus({"q": (200, "SLOW")}, [])})
    m = await PrometheusMetricsProvider(timeout_seconds=0.2).measure(metric(spec(base)), TARGET, NOW)
    assert m.error is not None and "did not answer within 0.2s" in m.error


async def test_unknown_variable_is_an_error_before_any_request() -> None:
    m = await PrometheusMetricsProvider().measure(metric(spec("http://127.0.0.1:9", "{{pod}}")), TARGET, NOW)
    assert m.error is not None and "unknown template variable" in m.error
