"""The Gateway API router: an HTTPRoute with weighted backendRefs to a stable and a canary Service."""

from __future__ import annotations

from modelyard.adapters.kube import HTTPROUTES, KubeClient, ref_for
from modelyard.adapters.traffic.base import Routing


class GatewayAPIRouter:
    def __init__(self, kube: KubeClient) -> None:
        self._kube = kube

    async def apply(self, routing: Routing) -> None:
        """The Services first (so both backends exist), then the HTTPRoute carrying the weights."""
        for m in sorted(routing.objects, key=lambda m: m["kind"] == "HTTPRoute"):
            await self._kube.converge(ref_for(m["apiVersion"], m["kind"]), routing.namespace, m)

    async def observe_weight(self, routing: Routing) -> int | None:
        route = await self._kube.get_or_none(HTTPROUTES, routing.namespace, routing.name)
        if route is None:
            return None
        refs = [ref for rule in route.get("spec", {}).get("rules", []) for ref in rule.get("backendRefs", [])]
        total = sum(int(r.get("weight", 1)) for r in refs)
        canary = sum(int(r.get("weight", 1)) for r in refs if r.get("name") == routing.canary_backend)
        return 0 if total == 0 else round(100 * canary / total)
