"""A real Prometheus scraping two real model servers; the providers measure them with real PromQL.

Stable serves the good iris model (v1), canary the "bad" variant (v2) whose artifact carries faults:
half of its infer requests are answered 500 and each takes 5 ms more. Skips without a ``prometheus``
binary unless ``MODELYARD_REQUIRE_PROMETHEUS=1``, which turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import aiohttp
import pytest
from tests.unit.serving.helpers import Artifact, free_port, server_command, server_env, stop, train, wait_ready

from modelyard.adapters.metrics.base import Target
from modelyard.adapters.metrics.builtin import BuiltinMetricsProvider
from modelyard.adapters.metrics.prometheus import PrometheusMetricsProvider
from modelyard.api.inferenceservice import AnalysisMetric

pytestmark = pytest.mark.prometheus
REQUESTS = 60
ERROR_RATE = ('sum(increase(modelyard_server_requests_total{track="canary",version="{{canary}}",code=~"5.."}'
              '[{{interval}}])) / sum(increase(modelyard_server_requests_total{version="{{canary}}"}[{{interval}}]))')
TRAFFIC = 'sum(increase(modelyard_server_requests_total{version="{{canary}}"}[{{interval}}]))'
P99 = ('histogram_quantile(0.99, sum by (le) (rate(modelyard_server_request_duration_seconds_bucket'
       '{version="{{canary}}"}[{{interval}}])))')


def prometheus_binary() -> str:
    path = shutil.which("prometheus")
    if path is None:
        reason = "no `prometheus` binary on PATH (scripts/install-prometheus.sh installs it)"
        if os.environ.get("MODELYARD_REQUIRE_PROMETHEUS") == "1":
            pytest.fail(reason + " and MODELYARD_REQUIRE_PROMETHEUS=1")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """Stable (good, v1) and canary (bad, v2) model servers on free loopback ports."""
    prometheus_binary()
    good = train(tmp_path_factory.mktemp("good"))
    bad = train(tmp_path_factory.mktemp("bad"), "--bad", env={"HP_BAD_ERROR_RATE": "0.5", "HP_BAD_LATENCY": "5ms"})
    ports = {"stable": free_port(), "canary": free_port()}
    procs = [_start(good, ports["stable"], "v1"), _start(bad, ports["canary"], "v2")]
    try:
        for proc, port in zip(procs, ports.values(), strict=True):
            wait_ready(port, proc)
        yield ports
    finally:
        for proc in procs:
            stop(proc)


def _start(artifact: Artifact, port: int, version: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(server_command(artifact, port, version=version), env=server_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def prometheus(servers: dict[str, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus scraping both servers every second; its base URL."""
    tmp = tmp_path_factory.mktemp("prometheus")
    targets = [{"targets": [f"127.0.0.1:{port}"], "labels": {"track": track}} for track, port in servers.items()]
    config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
              "scrape_configs": [{"job_name": "model", "static_configs": targets}]}
    (tmp / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    port = free_port()
    proc = subprocess.Popen([prometheus_binary(), f"--config.file={tmp / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=(tmp / "log").open("wb"))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: query(base, 'count(up{job="model"} == 1)') == 2.0, proc, "both targets scraped")
        yield base
    finally:
        stop(proc)


def query(base: str, promql: str) -> float | None:
    """One number from Prometheus, or None when it has none (yet)."""
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            result = json.load(r)["data"]["result"]
    except OSError:
        return None
    return float(result[0]["value"][1]) if len(result) == 1 else None


def wait_until(condition: object, proc: subprocess.Popen[bytes], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"prometheus exited with {proc.returncode}"
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {what}")


async def send_traffic(port: int, n: int) -> list[int]:
    body = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [5.1, 3.5, 1.4, 0.2]}]}
    async with aiohttp.ClientSession() as session:
        sem = asyncio.Semaphore(8)

        async def one() -> int:
            async with sem, session.post(f"http://127.0.0.1:{port}/v2/models/iris/infer", json=body) as r:
                return r.status
        return await asyncio.gather(*(one() for _ in range(n)))


def metric(name: str, provider: dict[str, object]) -> AnalysisMetric:
    return AnalysisMetric.model_validate({"name": name, "provider": provider, "threshold": {"max": 0.05}})


def target(canary: str, servers: dict[str, int] | None = None, track: str = "canary") -> Target:
    urls = [f"http://127.0.0.1:{servers[track]}"] if servers else []
    return Target(namespace="ml", service="iris", canary_version=canary, stable_version="v1",
                  canary_pod_urls=urls, window_seconds=60)


@pytest.fixture(scope="module")
def traffic(servers: dict[str, int], prometheus: str) -> dict[str, list[int]]:
    """Bounded traffic to both, then wait until Prometheus has scraped all of it."""
    codes = {track: asyncio.run(send_traffic(port, REQUESTS)) for track, port in servers.items()}
    for version in ("v1", "v2"):
        promql = f'sum(modelyard_server_requests_total{{version="{version}"}})'
        wait_until(lambda q=promql: query(prometheus, q) == REQUESTS, _NoProc(), f"{REQUESTS} requests of {version}")
    return codes


class _NoProc:
    returncode = None

    def poll(self) -> None:
        return None


async def test_prometheus_provider_fails_the_bad_canary_and_passes_the_good(
        prometheus: str, traffic: dict[str, list[int]]) -> None:
    assert traffic["canary"].count(500) == REQUESTS // 2 and traffic["stable"].count(200) == REQUESTS
    provider, now = PrometheusMetricsProvider(), datetime.now(UTC)
    spec = {"prometheus": {"address": prometheus, "query": ERROR_RATE, "trafficQuery": TRAFFIC}}
    bad = await provider.measure(metric("error-rate", spec), target("v2"), now)
    assert bad.error is None and bad.value is not None and bad.requests is not None
    assert bad.value == pytest.approx(0.5, abs=0.02) and bad.value > 0.05  # fails a 5% threshold
    assert bad.requests >= REQUESTS * 0.8
    stable_spec = {"prometheus": {"address": prometheus, "query": ERROR_RATE.replace('track="canary",', "")}}
    good = await provider.measure(metric("error-rate", stable_spec), target("v1"), now)
    assert (good.value, good.error) == (0.0, None)  # passes
    p99 = await provider.measure(metric("p99", {"prometheus": {"address": prometheus, "query": P99}}),
                                 target("v2"), now)
    assert p99.error is None and p99.value is not None and p99.value >= 0.005  # the 5 ms the bad model adds


async def test_prometheus_errors_are_measurements(prometheus: str, traffic: dict[str, list[int]]) -> None:
    provider, now = PrometheusMetricsProvider(timeout_seconds=2), datetime.now(UTC)
    bad_promql = await provider.measure(metric("m", {"prometheus": {"address": prometheus, "query": "sum(("}}),
                                        target("v2"), now)
    assert bad_promql.error is not None and "bad_data" in bad_promql.error
    several = await provider.measure(
        metric("m", {"prometheus": {"address": prometheus, "query": "modelyard_server_requests_total"}}),
        target("v2"), now)
    assert several.error is not None and "series returned" in several.error
    down = await provider.measure(
        metric("m", {"prometheus": {"address": f"http://127.0.0.1:{free_port()}", "query": "up"}}), target("v2"), now)
    assert down.value is None and down.error is not None and "cannot reach Prometheus" in down.error


async def test_builtin_provider_reads_the_servers_directly(
        servers: dict[str, int], traffic: dict[str, list[int]]) -> None:
    provider, now = BuiltinMetricsProvider(), datetime.now(UTC)
    errors = {"builtin": {"metric": "errorRate"}}
    bad = await provider.measure(metric("errors", errors), target("v2", servers, "canary"), now)
    good = await provider.measure(metric("errors", errors), target("v1", servers, "stable"), now)
    assert (bad.value, bad.requests, bad.error) == (0.5, REQUESTS, None)
    assert (good.value, good.requests, good.error) == (0.0, REQUESTS, None)
    p99 = await provider.measure(metric("p99", {"builtin": {"metric": "latencyP99"}}),
                                 target("v2", servers, "canary"), now)
    assert p99.value is not None and p99.value >= 0.005
