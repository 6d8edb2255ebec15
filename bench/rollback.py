"""Rollback latency: from the moment a canary's metric crosses its threshold to traffic back on stable.

A fake Prometheus in the bench process answers the canary's query with a value the bench controls. The
InferenceService serves ``rb-v1``; it is moved to ``rb-v2``, the canary takes traffic and passes a few
measurements, then the value is raised above the threshold at a known instant. The latency is from that
instant to the status showing the canary weight back at 0 with the version rolled back, against the
analysis interval (the floor: the next measurement is up to one interval away).

Needs the rollout controller: when no InferenceService becomes Ready, the result says so ("n/a").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web
from bench import objects
from bench.client import BenchClient, Timeline, Watcher, wait_until
from bench.procs import Operator, Sandbox
from bench.stats import condition_is_true
from bench.throughput import warm_up

NS = "bench"
GOOD, BAD, THRESHOLD = 0.0, 1.0, 0.1


class FakePrometheus:
    """``/api/v1/query`` answering every query with one sample of ``value``."""

    def __init__(self) -> None:
        self.value, self.url = GOOD, ""
        self._runner: web.AppRunner | None = None

    async def _query(self, request: web.Request) -> web.Response:
        sample = {"metric": {}, "value": [time.time(), repr(self.value)]}
        return web.json_response({"status": "success", "data": {"resultType": "vector", "result": [sample]}})

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/v1/query", self._query)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def service(prometheus: str, interval: str) -> dict[str, Any]:
    """The InferenceService under test: one analysed metric, a canary held at 50% until judged."""
    metric = {"name": "errors", "provider": {"prometheus": {"address": prometheus, "query": "error_rate"}},
              "threshold": {"max": THRESHOLD}, "minRequests": 0}
    return objects.inferenceservice("rb", "rb-v1", rollout={"steps": [{"setWeight": 50}, {"pause": {}}]},
                                    analysis={"interval": interval, "metrics": [metric]})


def canary_on(body: Mapping[str, Any]) -> bool:
    status = body.get("status") or {}
    return (status.get("canary") or {}).get("modelVersion") == "rb-v2" and (status.get("canaryWeight") or 0) > 0


def measured_good(body: Mapping[str, Any]) -> bool:
    """The analysis has judged at least one measurement a success."""
    metrics = (((body.get("status") or {}).get("analysis") or {}).get("metrics")) or []
    return any((m.get("successful") or 0) >= 1 for m in metrics)


def rolled_back(body: Mapping[str, Any]) -> bool:
    """Traffic back on stable: canary weight 0, stable still rb-v1, and rb-v2 refused."""
    status = body.get("status") or {}
    return (not status.get("canaryWeight") and (status.get("stable") or {}).get("modelVersion") == "rb-v1"
            and "rb-v2" in (status.get("rejected") or []))


async def _wait_body(timeline: Timeline, test: Callable[[Mapping[str, Any]], bool], seconds: float) -> float | None:
    """When the watched service first satisfied ``test`` (monotonic), or None within ``seconds``."""
    hit: list[float] = []

    def progress() -> int:
        body = timeline.last_body.get("rb")
        if not hit and body is not None and test(body):
            hit.append(time.monotonic())
        return len(hit)

    await wait_until(timeline, progress, 1, deadline=time.monotonic() + seconds, stall=seconds)
    return hit[0] if hit else None


async def measure(which: str, log_dir: Path, interval_s: int = 2, ready_deadline: float = 30.0) -> dict[str, Any]:
    out: dict[str, Any] = {"interval_s": interval_s, "latency_s": None}
    prom = FakePrometheus()
    async with Sandbox(log_dir) as sandbox, Operator(which, sandbox, log_dir) as _op:
        client, url = BenchClient(sandbox.url), await prom.start()
        timeline = Timeline("Ready")
        watcher = Watcher(sandbox.url, objects.KINDS["inferenceservices"], NS, timeline)
        try:
            await warm_up(client, sandbox.url)
            await client.ensure_namespace(NS)
            await watcher.start()
            for version in ("v1", "v2"):
                await client.kube.create(objects.KINDS["modelversions"], NS, objects.modelversion(
                    f"rb-{version}", "rb", version))
            await client.kube.create(objects.KINDS["inferenceservices"], NS, service(url, f"{interval_s}s"))
            if await _wait_body(timeline, lambda b: condition_is_true(b, "Ready"), ready_deadline) is None:
                return {**out, "reason": "the InferenceService never became Ready (no rollout controller?)"}
            await client.kube.patch(objects.KINDS["inferenceservices"], NS, "rb",
                                    {"spec": {"model": {"modelVersion": "rb-v2"}}})
            if await _wait_body(timeline, canary_on, ready_deadline) is None:
                return {**out, "reason": "the canary never took traffic"}
            await _wait_body(timeline, measured_good, 3 * interval_s)  # the canary passes before it fails
            prom.value, crossed = BAD, time.monotonic()
            back = await _wait_body(timeline, rolled_back, 10 * interval_s + 30)
            if back is None:
                return {**out, "reason": "no rollback within 10 intervals + 30 s"}
            return {**out, "latency_s": back - crossed}
        finally:
            await watcher.stop()
            await prom.stop()
            await client.close()
