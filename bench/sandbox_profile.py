"""The sandbox API emulator's hot paths, in-process: operations per second, optionally under cProfile.

    PYTHONPATH=operator:. python -m bench.sandbox_profile            # ops/s for every operation
    PYTHONPATH=operator:. python -m bench.sandbox_profile --profile  # plus cProfile's top 20 for each
    PYTHONPATH=operator:. python -m bench.sandbox_profile --only status,ssa -n 2000

One HTTP client (``KubeClient``) and the server share the event loop, so each figure is the emulator
plus one client, sequentially: the cost of one request end to end, not a capacity under concurrency
(``python -m bench --only capacity`` measures that, in separate processes).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from bench import objects

from modelyard.adapters.kube import DEPLOYMENTS, INFERENCESERVICES, Connection, KubeClient, Ref
from modelyard.sandbox.controllers.behaviour import PodBehaviours, Timing
from modelyard.sandbox.controllers.manager import SimulatedControllers
from modelyard.sandbox.events import Event
from modelyard.sandbox.server import SandboxAPI

ROOT = Path(__file__).resolve().parent.parent
NS = "default"
CONFIGMAPS = Ref("", "v1", "configmaps", "ConfigMap")
Op = Callable[[int], Awaitable[Any]]


def deployment(name: str, replicas: int = 1) -> dict[str, Any]:
    """A small Deployment like the ones the operator applies."""
    labels = {"app": name}
    container = {"name": "c", "image": "x", "ports": [{"containerPort": 8080}], "env": [{"name": "A", "value": "1"}]}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": NS, "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}}


class Bench:
    """A fresh sandbox API server and one client; an operation is timed over ``n`` sequential calls."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.api = SandboxAPI([ROOT / "crds"])
        self.kube: KubeClient
        self.results: dict[str, float] = {}

    async def __aenter__(self) -> Bench:
        url = await self.api.start()
        self.kube = KubeClient(Connection(server=url, headers={}, ssl=False))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.kube.close()
        await self.api.stop()

    async def time(self, label: str, op: Op, n: int) -> None:
        """Run ``op(0..n-1)`` in sequence; record and print ops/s (and the profile with ``--profile``)."""
        profile = cProfile.Profile() if self.args.profile else None
        start = time.perf_counter()
        if profile:
            profile.enable()
        for i in range(n):
            await op(i)
        if profile:
            profile.disable()
        self.results[label] = n / (time.perf_counter() - start)
        print(f"{label:<22} {self.results[label]:>9.0f} /s  ({n} ops)", flush=True)
        if profile:
            pstats.Stats(profile).sort_stats("tottime").print_stats(20)

    # the operations ------------------------------------------------------------------------------

    async def create_cr(self, n: int) -> None:
        ref = objects.KINDS["modelversions"]
        await self.time("create CR", lambda i: self.kube.create(
            ref, NS, objects.modelversion(f"m{i}", f"m{i}", "v1")), n)
        await self.time("create isvc", lambda i: self.kube.create(
            INFERENCESERVICES, NS, objects.inferenceservice(f"s{i}", f"m{i}")), n)

    async def status_patch(self, n: int) -> None:
        await self._ensure_services(50)
        await self.time("status PATCH", lambda i: self.kube.patch(
            INFERENCESERVICES, NS, f"s{i % 50}", {"status": {"message": f"x{i}"}}, subresource="status"), n)

    async def get(self, n: int) -> None:
        await self._ensure_services(50)
        await self.time("GET", lambda i: self.kube.get(INFERENCESERVICES, NS, f"s{i % 50}"), n)

    async def ssa(self, n: int) -> None:
        await self.time("SSA Deployment", lambda i: self.kube.apply(DEPLOYMENTS, NS, deployment(f"d{i % 50}")), n)

    async def list_1000(self, n: int) -> None:
        await self._ensure_namespace("list")
        for i in range(1000):
            await self.kube.create(objects.KINDS["modelversions"], "list", objects.modelversion(f"l{i}", f"l{i}", "v1"))
        await self.time("LIST 1000", lambda i: self.kube.list(objects.KINDS["modelversions"], "list"), n)

    async def watch_3(self, n: int) -> None:
        """A ConfigMap change seen by three watch streams: one op is one event received by all three."""
        await self._ensure_namespace("watch")
        await self.kube.create(CONFIGMAPS, "watch", {"metadata": {"name": "w"}, "data": {"i": "-1"}})
        queues: list[asyncio.Queue[str]] = [asyncio.Queue() for _ in range(3)]
        async with aiohttp.ClientSession() as session:
            tasks = [asyncio.create_task(self._follow(session, q)) for q in queues]
            await asyncio.gather(*(q.get() for q in queues))  # the initial ADDED

            async def op(i: int) -> None:
                await self.kube.patch(CONFIGMAPS, "watch", "w", {"data": {"i": str(i)}})
                await asyncio.gather(*(q.get() for q in queues))

            await self.time("watch event x3", op, n)
            for task in tasks:
                task.cancel()

    async def _follow(self, session: aiohttp.ClientSession, queue: asyncio.Queue[str]) -> None:
        url = f"{self.api.url}{CONFIGMAPS.path('watch')}?watch=true&fieldSelector=metadata.name%3Dw"
        async with session.get(url) as resp:
            async for line in resp.content:
                queue.put_nowait(json.loads(line)["type"])

    async def controllers(self, n: int) -> None:
        """Deployments with 2 replicas until Available; writes and events the simulated controllers make."""
        events: list[Event] = []
        all_ready = asyncio.Event()

        def on_event(event: Event) -> None:
            events.append(event)
            if all(self._available(f"ctl{i}") for i in range(n)):
                all_ready.set()

        unsubscribe = self.api.store.storage.add_listener(on_event)
        ctl = SimulatedControllers(self.api.url, PodBehaviours(Timing(schedule=0.0, ready=0.0)), resync=60.0)
        await ctl.start()
        mark = self.api.requests.mark()
        start = time.perf_counter()
        try:
            for i in range(n):
                await self.kube.create(DEPLOYMENTS, NS, deployment(f"ctl{i}", replicas=2))
            async with asyncio.timeout(60.0):
                await all_ready.wait()
            self.results["deployment ready"] = n / (time.perf_counter() - start)
            await asyncio.sleep(0.5)  # let trailing status writes land before counting
        finally:
            unsubscribe()
            await ctl.stop()
        writes = self.api.requests.count(since=mark, writes_only=True) - n
        changes = sum(1 for e in events if e.type != "DELETED") - n
        print(f"{'deployment ready':<22} {self.results['deployment ready']:>9.0f} /s  ({n} Deployments x 2 pods); "
              f"per Deployment: {writes / n:.1f} controller writes, {changes / n:.1f} stored changes, "
              f"{(writes - changes) / n:.1f} no-op writes", flush=True)

    # helpers ---------------------------------------------------------------------------------------

    def _available(self, name: str) -> bool:
        info = self.api.store.registry.get("apps", "v1", "deployments")
        assert info is not None
        obj = self.api.store.storage.find(info.storage_key, NS, name)
        return bool(obj) and (obj or {}).get("status", {}).get("availableReplicas") == 2

    async def _ensure_namespace(self, name: str) -> None:
        await self.kube.create(Ref("", "v1", "namespaces", "Namespace"), None, {"metadata": {"name": name}})

    async def _ensure_services(self, count: int) -> None:
        for i in range(count):
            if await self.kube.get_or_none(INFERENCESERVICES, NS, f"s{i}") is None:
                await self.kube.create(INFERENCESERVICES, NS, objects.inferenceservice(f"s{i}", f"m{i}"))


OPERATIONS = {"create": "create_cr", "status": "status_patch", "ssa": "ssa", "get": "get",
              "list": "list_1000", "watch": "watch_3", "controllers": "controllers"}
DEFAULT_N = {"create": 300, "status": 600, "ssa": 600, "get": 1000, "list": 20, "watch": 300, "controllers": 20}


async def main(args: argparse.Namespace) -> dict[str, float]:
    """Each operation against a fresh sandbox, so none sees another's objects (or their controllers)."""
    results: dict[str, float] = {}
    for name in [o.strip() for o in args.only.split(",") if o.strip()]:
        async with Bench(args) as bench:
            await getattr(bench, OPERATIONS[name])(args.n or DEFAULT_N[name])
        results.update(bench.results)
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.sandbox_profile", description=__doc__.splitlines()[0])
    p.add_argument("--only", default=",".join(OPERATIONS), help=f"among {','.join(OPERATIONS)}")
    p.add_argument("-n", type=int, default=0, help="operations per measurement (default: per operation)")
    p.add_argument("--profile", action="store_true", help="print cProfile's top 20 (by own time) per operation")
    return p.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
