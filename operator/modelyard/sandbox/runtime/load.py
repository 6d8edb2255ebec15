"""A steady trickle of inference requests for the demo, tallied by answer and by the version that served it.

Every answer is also logged as a ``Sent`` (when it was sent, the code, the Deployment that answered), so
the demo's test can tell which version served what, and when."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass

import aiohttp

from modelyard.sandbox.runtime.proxy import POD_HEADER
from modelyard.sandbox.runtime.story import INFER_BODY


def deployment_of(pod: str) -> str:
    """A Deployment's pod name without its ReplicaSet hash and pod suffix.

    >>> deployment_of("iris-iris-v2-5d8f7c9b4-x2k9q")
    'iris-iris-v2'
    """
    parts = pod.rsplit("-", 2)
    return parts[0] if len(parts) == 3 else pod


@dataclass(frozen=True)
class Sent:
    """One request: when it was sent (monotonic), its answer code (or error name), who answered ("" unknown),
    and for an answer that is neither 200 nor 500 (the proxy's own 502/503/504) the start of its body."""

    at: float
    code: str
    deployment: str
    note: str = ""


class LoadGenerator:
    """``start()`` sends POSTs to ``url`` at about ``rps`` per second until ``stop()``; never raises."""

    def __init__(self, url: str, *, rps: float = 20.0, timeout: float = 5.0) -> None:
        self.url, self.period = url, 1.0 / rps
        self.codes: Counter[str] = Counter()
        self.by_deployment: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.log: list[Sent] = []
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._task: asyncio.Task[None] | None = None

    @property
    def total(self) -> int:
        return sum(self.codes.values())

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="demo-load")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        async with aiohttp.ClientSession(timeout=self._timeout) as http:
            while True:
                began = time.monotonic()
                await self._one(http)
                await asyncio.sleep(max(self.period - (time.monotonic() - began), 0.0))

    async def _one(self, http: aiohttp.ClientSession) -> None:
        began, deployment, note = time.monotonic(), "", ""
        try:
            async with http.post(self.url, json=INFER_BODY) as resp:
                body = await resp.read()
                code = str(resp.status)
                note = "" if resp.status in (200, 500) else body[:200].decode(errors="replace").strip()
                if POD_HEADER in resp.headers:
                    deployment = deployment_of(resp.headers[POD_HEADER])
                    self.by_deployment[deployment] += 1
        except (aiohttp.ClientError, TimeoutError) as e:
            code, note = type(e).__name__, str(e)[:200]
        self.codes[code] += 1
        self.log.append(Sent(began, code, deployment, note))
        self.latencies.append(time.monotonic() - began)

    def sent(self, since: float = 0.0, until: float = float("inf")) -> list[Sent]:
        """The requests sent in ``[since, until)`` (monotonic times)."""
        return [s for s in self.log if since <= s.at < until]

    def summary(self) -> str:
        ok = self.codes.get("200", 0)
        p50 = sorted(self.latencies)[len(self.latencies) // 2] * 1000 if self.latencies else 0.0
        served = ", ".join(f"{d} {n}" for d, n in sorted(self.by_deployment.items()))
        return (f"{self.total} requests, {ok / max(self.total, 1):.0%} answered 200, p50 {p50:.0f} ms"
                + (f"; served by {served}" if served else ""))
