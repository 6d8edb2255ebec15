"""The Endpoints controller's decision (pure): a Service's ``Endpoints`` from the pods it selects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelyard.sandbox.controllers.common import is_active, is_ready

JsonDict = dict[str, Any]


def selects(service: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    selector = service.get("spec", {}).get("selector") or {}
    labels = pod.get("metadata", {}).get("labels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def build_endpoints(service: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> JsonDict | None:
    """``Endpoints`` named like the Service: ready pod IPs in ``addresses``, others in ``notReadyAddresses``.

    None for a Service without a selector (its endpoints are the user's business).
    """
    if not service.get("spec", {}).get("selector"):
        return None
    md = service["metadata"]
    chosen = sorted((p for p in pods if selects(service, p) and is_active(p) and p.get("status", {}).get("podIP")),
                    key=lambda p: p["metadata"]["name"])
    ready = [_address(p) for p in chosen if is_ready(p)]
    not_ready = [_address(p) for p in chosen if not is_ready(p)]
    subset: JsonDict = {}
    if ready:
        subset["addresses"] = ready
    if not_ready:
        subset["notReadyAddresses"] = not_ready
    if subset:
        subset["ports"] = [_port(service, p, chosen) for p in service.get("spec", {}).get("ports", [])]
    return {"apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": md["name"], "namespace": md.get("namespace"), "labels": dict(md.get("labels") or {})},
            "subsets": [subset] if subset else []}


def _address(pod: Mapping[str, Any]) -> JsonDict:
    md = pod["metadata"]
    return {"ip": pod["status"]["podIP"], "nodeName": "sandbox",
            "targetRef": {"kind": "Pod", "name": md["name"], "namespace": md.get("namespace"), "uid": md.get("uid")}}


def _port(service: Mapping[str, Any], port: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> JsonDict:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, str) and not target.isdigit():
        target = resolve_named_port(pods, target) or port.get("port")
    out: JsonDict = {"port": int(target), "protocol": port.get("protocol", "TCP")}
    if port.get("name"):
        out["name"] = port["name"]
    return out


def resolve_named_port(pods: Sequence[Mapping[str, Any]], name: str) -> int | None:
    for pod in pods:
        for c in pod.get("spec", {}).get("containers", []):
            for p in c.get("ports", []):
                if p.get("name") == name:
                    return int(p["containerPort"])
    return None


def same_endpoints(current: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
    return current is not None and current.get("subsets", []) == wanted.get("subsets", []) \
        and (current.get("metadata", {}).get("labels") or {}) == wanted["metadata"]["labels"]
