"""Cost per object at rest: operator RSS with 0, 1,000 and 5,000 objects; API writes per object per hour."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from bench import objects
from bench.client import BenchClient, Timeline, Watcher, wait_until
from bench.procs import Operator, Sandbox
from bench.stats import mib, per_object_per_hour
from bench.throughput import warm_up

NS = "bench"
QUIET_SECONDS = 6.0  # longer than kopf's worker idle timeout (5 s by default)


async def wait_quiet(client: BenchClient, deadline: float, quiet: float = QUIET_SECONDS) -> bool:
    """Wait until the operator has written nothing for ``quiet`` seconds (settled), or the deadline."""
    mark = await client.mark()
    since = time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        counts = await client.requests_since(mark)
        if counts.get("agents", {}).get("operator", {}).get("writes", 0):
            mark, since = counts["mark"], time.monotonic()
        elif time.monotonic() - since >= quiet:
            return True
    return False


async def grow(client: BenchClient, url: str, count: int, prefix: str, deadline: float) -> bool:
    """Create ``count`` more objects (a third of each kind) and wait for each one's first status."""
    if count <= 0:
        return True
    batches = objects.mixed(count, prefix)
    timelines = {kind: Timeline(objects.DONE_CONDITION[kind]) for kind in batches}
    watchers = [Watcher(url, objects.KINDS[k], NS, t) for k, t in timelines.items()]
    for w in watchers:
        await w.start()
    try:
        for kind in ("modelversions", "inferenceservices", "trainingjobs"):
            await client.create_all(objects.KINDS[kind], NS, batches[kind])
        for kind, t in timelines.items():
            want = len(batches[kind])
            if not await wait_until(t, lambda t=t: len(t.first_status), want, deadline=deadline, stall=60):
                return False
        return True
    finally:
        for w in watchers:
            await w.stop()


async def steady_state(client: BenchClient, objects_count: int, window: float) -> dict[str, Any]:
    """Operator requests over ``window`` seconds of rest, extrapolated per object per hour."""
    mark = await client.mark()
    await asyncio.sleep(window)  # the measurement window itself, not a wait for a condition
    operator = (await client.requests_since(mark)).get("agents", {}).get("operator", {})
    return {
        "objects": objects_count, "window_s": window,
        "writes": operator.get("writes", 0), "requests": operator.get("total", 0),
        "writes_per_object_hour": per_object_per_hour(operator.get("writes", 0), objects_count, window),
        "requests_per_object_hour": per_object_per_hour(operator.get("total", 0), objects_count, window),
        "by_verb": {k: v for k, v in operator.items() if k not in ("total", "writes")},
    }


async def measure(which: str, sizes: list[int], steady_at: int, window: float, log_dir: Path,
                  settle: float = 100.0) -> dict[str, Any]:
    """One operator from empty to each size in turn: RSS at rest at each; the steady-state window at one."""
    out: dict[str, Any] = {"rss_mib": {}, "settled": {}, "steady": None}
    async with Sandbox(log_dir) as sandbox, Operator(which, sandbox, log_dir) as op:
        client = BenchClient(sandbox.url)
        try:
            await warm_up(client, sandbox.url)
            await client.ensure_namespace(NS)
            have = 0
            for size in sorted(sizes):
                deadline = time.monotonic() + settle
                grown = await grow(client, sandbox.url, size - have, f"n{size}", deadline)
                have = size
                out["settled"][str(size)] = grown and await wait_quiet(client, deadline)
                out["rss_mib"][str(size)] = mib(op.rss_kib())
                if size == steady_at:
                    out["steady"] = await steady_state(client, size, window)
            out["peak_rss_mib"] = mib(op.peak_rss_kib())
        finally:
            await client.close()
    return out
