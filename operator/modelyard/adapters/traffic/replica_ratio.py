"""The replica-ratio router: no mesh, one Service over both versions, weights approximated by pod counts.

The weight is carried by the Deployments' replica counts (``core.steps.calculate_replica_split``, where
the rounding is documented); this router keeps the one Service selecting every pod of the
InferenceService, and reads back the share of ready endpoints the canary holds.
"""

from __future__ import annotations

from typing import Any

from modelyard.adapters.kube import PODS, KubeClient, ref_for
from modelyard.adapters.traffic.base import Routing
from modelyard.core.steps import calculate_effective_weight


class ReplicaRatioRouter:
    def __init__(self, kube: KubeClient) -> None:
        self._kube = kube

    async def apply(self, routing: Routing) -> None:
        for m in routing.objects:
            await self._kube.converge(ref_for(m["apiVersion"], m["kind"]), routing.namespace, m)

    async def observe_weight(self, routing: Routing) -> int | None:
        pods = await self._kube.list(PODS, routing.namespace, labels=routing.pod_selector)
        ready = [p for p in pods if is_pod_ready(p)]
        on_canary = sum(1 for p in ready if _labels(p).get(routing.version_label) == routing.canary_version)
        return calculate_effective_weight(len(ready) - on_canary, on_canary)


def _labels(pod: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = pod.get("metadata", {}).get("labels", {})
    return labels


def is_pod_ready(pod: dict[str, Any]) -> bool:
    """Ready condition True and not being deleted: an endpoint a Service would send to."""
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return False
    conditions = pod.get("status", {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
