"""Reconcile throughput and latency: N objects of one kind created at once, against a fresh sandbox."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import objects
from bench.client import BenchClient, Timeline, Watcher, wait_until
from bench.procs import Operator, Sandbox
from bench.stats import mib, percentile

NS = "bench"
WARMUP_NS = "bench-warmup"
#: Name prefix of the timed objects (and of the ModelVersions an InferenceService run serves).
PREFIX = {"inferenceservices": "i", "trainingjobs": "t"}


@dataclass(frozen=True)
class Budget:
    """How long to wait: for every first status, and for Ready/Succeeded without any progress."""

    first_status: float = 90.0
    done: float = 90.0
    stall: float = 10.0


async def warm_up(client: BenchClient, url: str) -> None:
    """One ModelVersion through the operator, so its watches are live and its code is imported."""
    await client.ensure_namespace(WARMUP_NS)
    timeline = Timeline("Ready")
    watcher = Watcher(url, objects.KINDS["modelversions"], WARMUP_NS, timeline)
    await watcher.start()
    try:
        await client.create_all(objects.KINDS["modelversions"], WARMUP_NS, objects.batch("modelversions", 1, "w"))
        if not await wait_until(timeline, lambda: len(timeline.first_status), 1, deadline=time.monotonic() + 60,
                                stall=60):
            raise RuntimeError("the operator wrote no status on the warm-up object within 60 s")
    finally:
        await watcher.stop()


async def prerequisites(client: BenchClient, url: str, kind: str, n: int, budget: Budget) -> None:
    """What must exist before the timed objects: the ModelVersions InferenceServices serve."""
    if kind != "inferenceservices":
        return
    timeline = Timeline("Ready")
    watcher = Watcher(url, objects.KINDS["modelversions"], NS, timeline)
    await watcher.start()
    try:
        # named as the services' own (batch: service i serves the version of the same name)
        await client.create_all(objects.KINDS["modelversions"], NS, objects.batch("modelversions", n, PREFIX[kind]))
        await wait_until(timeline, lambda: len(timeline.done), n, deadline=time.monotonic() + budget.done,
                         stall=budget.stall)
    finally:
        await watcher.stop()


async def measure(which: str, kind: str, n: int, log_dir: Path, budget: Budget,
                  profile: Path | None = None) -> dict[str, Any]:
    """One run: a fresh sandbox, one operator, N objects of ``kind`` created at once."""
    async with Sandbox(log_dir) as sandbox, Operator(which, sandbox, log_dir, profile=profile) as op:
        client = BenchClient(sandbox.url)
        try:
            await warm_up(client, sandbox.url)
            await client.ensure_namespace(NS)
            await prerequisites(client, sandbox.url, kind, n, budget)
            result = await _timed(client, sandbox.url, kind, n, budget)
            result["peak_rss_mib"] = mib(op.peak_rss_kib())
            return result
        finally:
            await client.close()


async def _timed(client: BenchClient, url: str, kind: str, n: int, budget: Budget) -> dict[str, Any]:
    ref, timeline = objects.KINDS[kind], Timeline(objects.DONE_CONDITION[kind])
    watcher = Watcher(url, ref, NS, timeline)
    await watcher.start()
    try:
        mark = await client.mark()
        start = time.monotonic()
        created = await client.create_all(ref, NS, objects.batch(kind, n, PREFIX[kind]))
        await wait_until(timeline, lambda: len(timeline.first_status), n, deadline=start + budget.first_status,
                         stall=budget.first_status)
        await wait_until(timeline, lambda: len(timeline.done), n, deadline=start + budget.done, stall=budget.stall)
        requests = await client.requests_since(mark)
    finally:
        await watcher.stop()
    return summarize(kind, n, start, created, timeline, requests)


def summarize(kind: str, n: int, start: float, created: dict[str, float], timeline: Timeline,
              requests: dict[str, Any]) -> dict[str, Any]:
    """The figures of one run, from the timestamps and the request counts."""
    latencies = [timeline.first_status[k] - created[k] for k in created if k in timeline.first_status]
    operator = requests.get("agents", {}).get("operator", {})
    all_done = len(timeline.done) == n
    return {
        "kind": kind, "n": n,
        "created_s": max(created.values()) - start,
        "first_status_count": len(timeline.first_status),
        "first_status_p50_s": percentile(latencies, 50),
        "first_status_p99_s": percentile(latencies, 99),
        "all_first_status_s": max(timeline.first_status.values()) - start if timeline.first_status else None,
        "done_count": len(timeline.done),
        "all_done_s": max(timeline.done.values()) - start if all_done else None,
        "operator_requests": operator.get("total", 0),
        "operator_writes": operator.get("writes", 0),
        "requests_per_object": operator.get("total", 0) / n,
        "writes_per_object": operator.get("writes", 0) / n,
        "operator_requests_by_verb": {k: v for k, v in operator.items() if k not in ("total", "writes")},
    }
