"""BuiltinMetricsProvider against fake pods whose /metrics come from the model server's own ServerMetrics."""

from __future__ import annotations

import socket

import pytest
from aiohttp import web

from modelyard.adapters.metrics.base import Target
from modelyard.adapters.metrics.builtin import BuiltinMetricsProvider
from modelyard.adapters.metrics.factory import Providers, provider_for
from modelyard.api.inferenceservice import AnalysisMetric, MetricProvider
from modelyard.serving.telemetry import ServerMetrics

from .conftest import NOW, ServerFactory, metric

ERRORS = metric({"builtin": {"metric": "errorRate"}}, "errors")
P99 = metric({"builtin": {"metric": "latencyP99"}}, "p99")
P50 = metric({"builtin": {"metric": "latencyP50"}}, "p50")


def pod_page(metrics: ServerMetrics) -> web.RequestHandler:  # type: ignore[type-arg]
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=metrics.exposition(), content_type="text/plain")
    return handler


def traffic(metrics: ServerMetrics, ok: int, failed: int = 0, seconds: float = 0.003) -> None:
    for code, n in ((200, ok), (500, failed)):
        for _ in range(n):
            metrics.count(code)
            metrics.observe(seconds)


def target(*urls: str, version: str = "v2") -> Target:
    return Target(namespace="ml", service="iris", canary_version=version, stable_version="v1",
                  canary_pod_urls=list(urls))


async def test_first_scrape_then_windows(serve: ServerFactory) -> None:
    pod = ServerMetrics("iris", "v2")
    url = await serve({"/metrics": pod_page(pod)})
    provider = BuiltinMetricsProvider()
    traffic(pod, ok=8, failed=2)
    first = await provider.measure(ERRORS, target(url), NOW)
    assert (first.value, first.requests, first.error) == (0.2, 10.0, None)
    traffic(pod, ok=10)
    second = await provider.measure(ERRORS, target(url), NOW)
    assert (second.value, second.requests) == (0.0, 10.0)


async def test_metrics_keep_separate_windows(serve: ServerFactory) -> None:
    pod = ServerMetrics("iris", "v2")
    url = await serve({"/metrics": pod_page(pod)})
    provider = BuiltinMetricsProvider()
    traffic(pod, ok=30, seconds=0.003)
    errors = await provider.measure(ERRORS, target(url), NOW)
    p99 = await provider.measure(P99, target(url), NOW)
    p50 = await provider.measure(P50, target(url), NOW)
    assert errors.requests == p99.requests == p50.requests == 30.0
    assert p99.value == pytest.approx(0.0025 + 0.0025 * 0.99)  # all in (0.0025, 0.005]
    assert p50.value == pytest.approx(0.00375)


async def test_pods_are_summed_and_an_unreachable_one_is_skipped(serve: ServerFactory) -> None:
    a, b = ServerMetrics("iris", "v2"), ServerMetrics("iris", "v2")
    url_a, url_b = await serve({"/metrics": pod_page(a)}), await serve({"/metrics": pod_page(b)})
    traffic(a, ok=5, failed=5)
    traffic(b, ok=10)
    m = await BuiltinMetricsProvider().measure(ERRORS, target(url_a, url_b, closed_port_url()), NOW)
    assert (m.value, m.requests, m.error) == (0.25, 20.0, None)


async def test_restarted_pod_counts_from_zero(serve: ServerFactory) -> None:
    pods = [ServerMetrics("iris", "v2")]

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=pods[0].exposition(), content_type="text/plain")

    url = await serve({"/metrics": handler})
    provider = BuiltinMetricsProvider()
    traffic(pods[0], ok=50)
    await provider.measure(ERRORS, target(url), NOW)
    pods[0] = ServerMetrics("iris", "v2")  # the pod restarted behind the same address
    traffic(pods[0], ok=3, failed=1)
    m = await provider.measure(ERRORS, target(url), NOW)
    assert (m.value, m.requests) == (0.25, 4.0)


async def test_new_canary_version_starts_fresh(serve: ServerFactory) -> None:
    pod = ServerMetrics("iris", "v2")
    url = await serve({"/metrics": pod_page(pod)})
    provider = BuiltinMetricsProvider()
    traffic(pod, ok=10)
    await provider.measure(ERRORS, target(url, version="v2"), NOW)
    m = await provider.measure(ERRORS, target(url, version="v3"), NOW)
    assert m.requests == 10.0  # no snapshot for v3 yet: since start


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


async def garbage(request: web.Request) -> web.Response:
    return web.Response(text="<html>not metrics</html>")


async def foreign(request: web.Request) -> web.Response:
    return web.Response(text="# TYPE up gauge\nup 1\n")


async def failing(request: web.Request) -> web.Response:
    return web.Response(status=500, text="boom")


@pytest.mark.parametrize(("handler", "message"), [
    (garbage, "unreadable /metrics"),
    (foreign, "not a modelyard model server"),
    (failing, "HTTP 500"),
], ids=["garbage", "foreign-page", "http-500"])
async def test_unusable_pages_are_errors(serve: ServerFactory, handler: web.RequestHandler,  # type: ignore[type-arg]
                                         message: str) -> None:
    url = await serve({"/metrics": handler})
    m = await BuiltinMetricsProvider().measure(ERRORS, target(url), NOW)
    assert m.value is None and m.error is not None and message in m.error


async def test_no_reachable_pod_is_an_error() -> None:
    m = await BuiltinMetricsProvider().measure(ERRORS, target(closed_port_url()), NOW)
    assert m.error is not None and m.error.startswith("no canary pod answered")


async def test_no_pod_at_all_is_an_error() -> None:
    m = await BuiltinMetricsProvider().measure(ERRORS, target(), NOW)
    assert m.error == "no ready canary pod to scrape"


@pytest.mark.parametrize("m", [ERRORS, P99], ids=["errorRate", "latencyP99"])
async def test_no_traffic_is_an_error_with_zero_requests(serve: ServerFactory, m: AnalysisMetric) -> None:
    url = await serve({"/metrics": pod_page(ServerMetrics("iris", "v2"))})
    got = await BuiltinMetricsProvider().measure(m, target(url), NOW)
    assert (got.value, got.requests, got.error) == (None, 0.0, "no infer requests in the window")


def test_provider_for_picks_by_spec() -> None:
    providers = Providers()
    prom = MetricProvider.model_validate({"prometheus": {"address": "http://p:9090", "query": "q"}})
    builtin = MetricProvider.model_validate({"builtin": {"metric": "errorRate"}})
    assert provider_for(prom, providers) is providers.prometheus
    assert provider_for(builtin, providers) is providers.builtin
