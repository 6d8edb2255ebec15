"""Where the sandbox's local endpoints send requests (pure): a Service's ready local pods, an HTTPRoute's
weighted backends, and the deterministic balancers that pick among them.

A pod is a backend of a Service when the Service's selector matches it, it is active and Ready, and the
local runtime mapped the Service's target port to a loopback port (annotation ``sandbox.modelyard.io/ports``).
Simulated pods (no real process) are never backends: there is nothing to forward to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from modelyard.sandbox.controllers.common import is_active, is_ready
from modelyard.sandbox.controllers.endpoints import selects

JsonDict = dict[str, Any]
Key = tuple[str, str]
PORTS = "sandbox.modelyard.io/ports"
URL = "sandbox.modelyard.io/url"
LOCAL_IP = "127.0.0.1"
T = TypeVar("T")


@dataclass(frozen=True)
class Backend:
    """One ready local pod: its name and the base URL its target port is reachable at."""

    pod: str
    url: str


@dataclass(frozen=True)
class WeightedService:
    """One backendRef of an HTTPRoute rule: a Service (namespace, name) and its weight."""

    service: Key
    weight: int


def calculate_backends(service: Mapping[str, Any], pods: Iterable[Mapping[str, Any]]) -> tuple[Backend, ...]:
    """The ready local pods behind ``service``'s first port, sorted by pod name.

    >>> svc = {"spec": {"selector": {"app": "a"}, "ports": [{"port": 80, "targetPort": 8080}]}}
    >>> pod = {"metadata": {"name": "a-1", "labels": {"app": "a"}, "annotations": {PORTS: '{"8080": 4100}'}},
    ...        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    >>> calculate_backends(svc, [pod])
    (Backend(pod='a-1', url='http://127.0.0.1:4100'),)
    """
    out = []
    for pod in pods:
        if not (selects(service, pod) and is_active(pod) and is_ready(pod)):
            continue
        local = local_port(service, pod)
        if local is not None:
            out.append(Backend(pod["metadata"]["name"], f"http://{LOCAL_IP}:{local}"))
    return tuple(sorted(out, key=lambda b: b.pod))


def local_port(service: Mapping[str, Any], pod: Mapping[str, Any]) -> int | None:
    """The loopback port of the pod's container port that the Service's first port targets, if mapped."""
    ports = service.get("spec", {}).get("ports") or []
    if not ports:
        return None
    target = ports[0].get("targetPort", ports[0].get("port"))
    if isinstance(target, str) and not target.isdigit():
        target = _named_port(pod, target)
    try:
        mapping = json.loads((pod.get("metadata", {}).get("annotations") or {}).get(PORTS) or "{}")
    except ValueError:
        return None
    found = mapping.get(str(target)) if target is not None else None
    return int(found) if found is not None else None


def _named_port(pod: Mapping[str, Any], name: str) -> int | None:
    for c in pod.get("spec", {}).get("containers", []):
        for p in c.get("ports", []):
            if p.get("name") == name:
                return int(p["containerPort"])
    return None


def calculate_route_backends(route: Mapping[str, Any]) -> tuple[WeightedService, ...]:
    """The Service backendRefs of the route's first rule that has any, with their weights (default 1).

    >>> calculate_route_backends({"metadata": {"namespace": "ns"}, "spec": {"rules": [{"backendRefs": [
    ...     {"name": "stable", "weight": 80}, {"name": "canary", "weight": 20, "namespace": "other"}]}]}})
    (WeightedService(service=('ns', 'stable'), weight=80), WeightedService(service=('other', 'canary'), weight=20))
    """
    namespace = route.get("metadata", {}).get("namespace") or ""
    for rule in route.get("spec", {}).get("rules") or []:
        refs = [r for r in rule.get("backendRefs") or [] if r.get("kind", "Service") == "Service"
                and r.get("group", "") in ("", "core")]
        if refs:
            return tuple(WeightedService((r.get("namespace") or namespace, r["name"]), max(int(r.get("weight", 1)), 0))
                         for r in refs)
    return ()


@dataclass
class SmoothWeighted:
    """nginx's smooth weighted round robin: deterministic, and every window of ``sum(weights)`` picks gives
    each choice exactly its weight, spread out rather than in bursts. Zero weights are never picked.

    >>> swrr = SmoothWeighted({"a": 5, "b": 1, "c": 1})
    >>> "".join(swrr.pick() or "" for _ in range(7))
    'aabacaa'
    """

    weights: Mapping[str, int]
    current: dict[str, int] = field(default_factory=dict)

    def pick(self) -> str | None:
        live = {k: w for k, w in self.weights.items() if w > 0}
        if not live:
            return None
        total = sum(live.values())
        for k, w in live.items():
            self.current[k] = self.current.get(k, 0) + w
        best = max(live, key=lambda k: self.current[k])  # first of equals: dicts keep insertion order
        self.current[best] -= total
        return best


@dataclass
class RoundRobin:
    """Plain round robin over a pool that may change between picks.

    >>> rr = RoundRobin()
    >>> [rr.pick(["a", "b"]) for _ in range(3)] + [rr.pick([]), rr.pick(["c"])]
    ['a', 'b', 'a', None, 'c']
    """

    turn: int = 0

    def pick(self, pool: Sequence[T]) -> T | None:
        if not pool:
            return None
        chosen = pool[self.turn % len(pool)]
        self.turn += 1
        return chosen
