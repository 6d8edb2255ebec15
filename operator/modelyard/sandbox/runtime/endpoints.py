"""Local endpoints for Services and HTTPRoutes: every Service gets a reverse proxy on a loopback port that
round-robins over its ready local pods; every HTTPRoute with Service backendRefs gets one that splits
requests by the weights (smooth weighted round robin) and then round-robins inside the chosen Service.

The URL is written on the object (annotation ``sandbox.modelyard.io/url``), so tests, the demo and the
operator's builtin metric provider can reach it. Pods, Services and routes are watched like a controller
does (its own informers over HTTP); the pools are recomputed on every change, so a pod that turns unready
leaves the rotation as soon as its status is written. Proxies stop (ports closed) with the sandbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from modelyard.adapters.kube import HTTPROUTES, MERGE, PODS, SERVICES, ApiError, Connection, KubeClient, Ref
from modelyard.sandbox.controllers.base import Informers, cancel_all
from modelyard.sandbox.runtime.proxy import Choice, Proxy, Target
from modelyard.sandbox.runtime.traffic import (
    URL,
    Backend,
    Key,
    RoundRobin,
    SmoothWeighted,
    calculate_backends,
    calculate_route_backends,
)

JsonDict = dict[str, Any]
ProxyKey = tuple[str, str, str]  # plural, namespace, name
log = logging.getLogger(__name__)


class LocalEndpoints:
    """Start with ``await endpoints.start()``; ``await endpoints.stop()`` closes every port."""

    def __init__(self, server: str) -> None:
        self.conn = Connection(server=server.rstrip("/"))
        self.kube = KubeClient(self.conn, retries=8, backoff=0.05)
        self.informers = Informers(self.kube, self.conn)
        for ref in (PODS, SERVICES, HTTPROUTES):
            self.informers[ref].listen(self._changed)
        self.proxies: dict[ProxyKey, Proxy] = {}
        self._pools: dict[Key, tuple[Backend, ...]] = {}
        self._turns: dict[Key, RoundRobin] = {}
        self._splits: dict[Key, SmoothWeighted] = {}
        self._dirty = True
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, sync_seconds: float = 30.0) -> None:
        self._tasks = self.informers.start()
        async with asyncio.timeout(sync_seconds):
            await self.informers.wait_synced()
        self._tasks.append(asyncio.create_task(self._keep_in_sync(), name="sandbox-endpoints"))

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        self._tasks = []
        await asyncio.gather(*(p.stop() for p in self.proxies.values()), return_exceptions=True)
        self.proxies.clear()
        await self.kube.close()

    def url(self, ref: Ref, namespace: str, name: str) -> str | None:
        proxy = self.proxies.get((ref.plural, namespace, name))
        return proxy.url if proxy else None

    def stats(self, ref: Ref, namespace: str, name: str) -> Counter[str]:
        proxy = self.proxies.get((ref.plural, namespace, name))
        return proxy.stats if proxy else Counter()

    def backends(self, namespace: str, service: str) -> tuple[Backend, ...]:
        """The ready local pods requests to this Service go to now."""
        return self._pool((namespace, service))

    # choosing a backend, per request

    def _changed(self, _kind: str, _obj: JsonDict) -> None:
        self._dirty = True
        self._wake.set()

    def _pool(self, service: Key) -> tuple[Backend, ...]:
        if self._dirty:
            pods = self.informers[PODS].items()
            self._pools = {key: calculate_backends(svc, [p for p in pods if _namespace(p) == key[0]])
                           for key, svc in self.informers[SERVICES].cache.items()}
            self._dirty = False
        return self._pools.get(service, ())

    def choose_in_service(self, service: Key) -> Choice:
        svc = self.informers[SERVICES].cache.get(service)
        if svc is None:
            return f"service {service[0]}/{service[1]} does not exist"
        if not svc.get("spec", {}).get("selector"):
            return f"service {service[0]}/{service[1]} has no selector (the sandbox serves selector Services only)"
        backend = self._turns.setdefault(service, RoundRobin()).pick(self._pool(service))
        if backend is None:
            return f"no ready pod behind service {service[0]}/{service[1]}"
        return Target(backend, f"{service[0]}/{service[1]}")

    def choose_in_route(self, route: Key) -> Choice:
        obj = self.informers[HTTPROUTES].cache.get(route)
        refs = calculate_route_backends(obj) if obj else ()
        weights = {f"{r.service[0]}/{r.service[1]}": r.weight for r in refs}
        split = self._splits.get(route)
        if split is None or dict(split.weights) != weights:
            split = self._splits[route] = SmoothWeighted(weights)
        chosen = split.pick()
        if chosen is None:
            return f"httproute {route[0]}/{route[1]} has no backend with a weight above 0"
        namespace, name = chosen.split("/", 1)
        return self.choose_in_service((namespace, name))

    # proxies and annotations, level-based

    async def _keep_in_sync(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._sync()
            except (ApiError, OSError) as e:
                log.debug("sandbox endpoints: %s; retrying", e)
                await asyncio.sleep(0.2)
                self._wake.set()

    async def _sync(self) -> None:
        wanted = self._wanted()
        for key in [k for k in self.proxies if k not in wanted]:
            await self.proxies.pop(key).stop()
            self._splits.pop(key[1:], None)
        for key, obj in wanted.items():
            if key not in self.proxies:
                self.proxies[key] = await self._start_proxy(key)
            await self._annotate(key, obj, self.proxies[key].url)

    def _wanted(self) -> dict[ProxyKey, JsonDict]:
        wanted: dict[ProxyKey, JsonDict] = {}
        for ref in (SERVICES, HTTPROUTES):
            for (namespace, name), obj in self.informers[ref].cache.items():
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                if ref == SERVICES or calculate_route_backends(obj):
                    wanted[(ref.plural, namespace, name)] = obj
        return wanted

    async def _start_proxy(self, key: ProxyKey) -> Proxy:
        plural, namespace, name = key
        if plural == SERVICES.plural:
            proxy = Proxy(f"service {namespace}/{name}", lambda: self.choose_in_service((namespace, name)))
        else:
            proxy = Proxy(f"httproute {namespace}/{name}", lambda: self.choose_in_route((namespace, name)))
        await proxy.start()
        return proxy

    async def _annotate(self, key: ProxyKey, obj: JsonDict, url: str) -> None:
        if (obj["metadata"].get("annotations") or {}).get(URL) == url:
            return
        ref = SERVICES if key[0] == SERVICES.plural else HTTPROUTES
        body = {"metadata": {"annotations": {URL: url}}}
        try:
            answer = await self.kube.patch(ref, key[1], key[2], body, content_type=MERGE)
        except ApiError as e:
            if e.not_found:
                return
            raise
        self.informers[ref].store(answer)


def _namespace(obj: JsonDict) -> str:
    return obj.get("metadata", {}).get("namespace") or ""
