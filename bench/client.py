"""The bench's side of the API: bulk creation, watches that time each object's status, request counts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from bench.stats import BENCH_AGENT, condition_is_true, has_first_status

from modelyard.adapters.kube import ApiError, Connection, KubeClient, Ref

NAMESPACES = Ref("", "v1", "namespaces", namespaced=False)


class BenchClient:
    """A KubeClient that says it is the bench (so its requests are not counted as the operator's)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.kube = KubeClient(Connection(url, headers={"User-Agent": BENCH_AGENT}), retries=8, backoff=0.05)

    async def close(self) -> None:
        await self.kube.close()

    async def ensure_namespace(self, name: str) -> None:
        try:
            await self.kube.create(NAMESPACES, None, {"apiVersion": "v1", "kind": "Namespace",
                                                      "metadata": {"name": name}})
        except ApiError as e:
            if not e.conflict:
                raise

    async def create_all(self, ref: Ref, namespace: str, bodies: list[dict[str, Any]],
                         concurrency: int = 16) -> dict[str, float]:
        """Create every body, ``concurrency`` at a time; returns name -> when its create returned."""
        created: dict[str, float] = {}
        queue = list(reversed(bodies))

        async def worker() -> None:
            while queue:
                body = queue.pop()
                await self.kube.create(ref, namespace, body)
                created[body["metadata"]["name"]] = time.monotonic()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return created

    async def requests_since(self, mark: int) -> dict[str, Any]:
        """The sandbox's request counts since ``mark`` (see bench.sandbox_server)."""
        result: dict[str, Any] = await self.kube.request("GET", "/bench/requests", params={"since": str(mark)})
        return result

    async def mark(self) -> int:
        return int((await self.requests_since(1 << 62))["mark"])


@dataclass
class Timeline:
    """When each object of one kind was first seen with a status, and when it was first done."""

    done_condition: str
    first_status: dict[str, float] = field(default_factory=dict)
    done: dict[str, float] = field(default_factory=dict)
    last_body: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def observe(self, body: Mapping[str, Any], at: float) -> None:
        name = body["metadata"]["name"]
        self.last_body[name] = dict(body)
        if name not in self.first_status and has_first_status(body):
            self.first_status[name] = at
        if name not in self.done and condition_is_true(body, self.done_condition):
            self.done[name] = at
        self.changed.set()


class Watcher:
    """A watch on one kind in one namespace feeding a :class:`Timeline`; start before creating objects."""

    def __init__(self, url: str, ref: Ref, namespace: str, timeline: Timeline) -> None:
        self.url, self.ref, self.namespace, self.timeline = url, ref, namespace, timeline
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(headers={"User-Agent": BENCH_AGENT},
                                              timeout=aiohttp.ClientTimeout(total=None))
        params = {"watch": "1", "timeoutSeconds": "3600"}
        resp = await self._session.get(self.url + self.ref.path(self.namespace), params=params)
        resp.raise_for_status()
        self._task = asyncio.create_task(self._read(resp))

    async def _read(self, resp: aiohttp.ClientResponse) -> None:
        async for line in resp.content:
            if line.strip():
                event = json.loads(line)
                if event.get("type") in ("ADDED", "MODIFIED"):
                    self.timeline.observe(event["object"], time.monotonic())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()


async def wait_until(timeline: Timeline, progress: Callable[[], int], target: int, *,
                     deadline: float, stall: float) -> bool:
    """Wait until ``progress()`` reaches ``target``; give up at ``deadline`` (monotonic) or after ``stall``
    seconds without progress. Returns whether the target was reached."""
    last, last_change = progress(), time.monotonic()
    while last < target:
        now = time.monotonic()
        if now > deadline or now - last_change > stall:
            return False
        timeline.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(timeline.changed.wait(), timeout=min(1.0, max(0.01, deadline - now)))
        if progress() != last:
            last, last_change = progress(), time.monotonic()
    return True
