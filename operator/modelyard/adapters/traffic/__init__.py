"""Traffic routers: move the weights between stable and canary, behind one Protocol."""

from __future__ import annotations

from modelyard.adapters.kube import KubeClient
from modelyard.adapters.traffic.base import Routing, TrafficRouter
from modelyard.adapters.traffic.gateway import GatewayAPIRouter
from modelyard.adapters.traffic.replica_ratio import ReplicaRatioRouter
from modelyard.api.inferenceservice import RouterKind


def router_for(kind: RouterKind | str, kube: KubeClient) -> TrafficRouter:
    """The router of ``spec.traffic.router``."""
    if kind == RouterKind.GATEWAY_API:
        return GatewayAPIRouter(kube)
    return ReplicaRatioRouter(kube)


__all__ = ["GatewayAPIRouter", "ReplicaRatioRouter", "Routing", "TrafficRouter", "router_for"]
