"""Sandbox capacity: how many GET, LIST and status PATCH requests per second the emulator serves.

Measured from the bench process with ``concurrency`` clients in one event loop, so the figure is the
emulator's and the client's together: a floor of the emulator's capacity, enough to tell when the
emulator, not the operator, is the limit.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench import objects
from bench.client import BenchClient
from bench.procs import Sandbox
from bench.stats import per_second

NS = "capacity"


async def rate(call: Callable[[int], Awaitable[Any]], seconds: float, concurrency: int) -> float | None:
    """Calls per second completed by ``concurrency`` loops of ``call(i)`` over ``seconds``."""
    counter = itertools.count()
    done = 0
    stop_at = time.monotonic() + seconds

    async def loop() -> None:
        nonlocal done
        while time.monotonic() < stop_at:
            await call(next(counter))
            done += 1

    start = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return per_second(done, time.monotonic() - start)


async def measure(log_dir: Path, *, objects_count: int = 100, seconds: float = 3.0,
                  concurrency: int = 16) -> dict[str, Any]:
    """GET one InferenceService, LIST all ``objects_count``, PATCH one's status: requests per second each."""
    ref = objects.KINDS["inferenceservices"]
    async with Sandbox(log_dir) as sandbox:
        client = BenchClient(sandbox.url)
        try:
            await client.ensure_namespace(NS)
            names = list(await client.create_all(ref, NS, objects.batch("inferenceservices", objects_count, "c")))
            kube = client.kube

            def name(i: int) -> str:
                return names[i % len(names)]

            return {
                "objects": objects_count, "concurrency": concurrency, "seconds": seconds,
                "get_per_s": await rate(lambda i: kube.get(ref, NS, name(i)), seconds, concurrency),
                "list_per_s": await rate(lambda i: kube.list(ref, NS), seconds, concurrency),
                "patch_status_per_s": await rate(
                    lambda i: kube.patch(ref, NS, name(i), {"status": {"message": f"bench {i}"}},
                                         subresource="status"), seconds, concurrency),
            }
        finally:
            await client.close()
