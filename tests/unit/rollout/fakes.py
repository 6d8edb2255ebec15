"""Fakes for the controller: the few KubeClient methods it uses, and a metrics provider the test drives."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from modelyard.adapters.kube import PODS, ApiError, KubeClient, Ref
from modelyard.adapters.metrics.base import Target
from modelyard.api.inferenceservice import AnalysisMetric
from modelyard.core.measurement import Measurement


def merge(target: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7386 merge patch."""
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(target.get(k), dict):
            merge(target[k], v)
        else:
            target[k] = copy.deepcopy(v)
    return target


class FakeKube:
    """An in-memory store keyed by (plural, namespace, name); label selectors by equality only."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.writes: list[tuple[str, str, str]] = []

    def put(self, ref: Ref, body: dict[str, Any]) -> None:
        self.objects[(ref.plural, body["metadata"].get("namespace", ""), body["metadata"]["name"])] = body

    async def get(self, ref: Ref, namespace: str | None, name: str) -> dict[str, Any]:
        found = await self.get_or_none(ref, namespace, name)
        if found is None:
            raise ApiError(404, "NotFound", f"{ref.plural} {name} not found")
        return found

    async def get_or_none(self, ref: Ref, namespace: str | None, name: str) -> dict[str, Any] | None:
        obj = self.objects.get((ref.plural, namespace or "", name))
        return copy.deepcopy(obj) if obj is not None else None

    async def list(self, ref: Ref, namespace: str | None = None, *, labels: Mapping[str, str] | None = None,
                   selector: str | None = None) -> list[dict[str, Any]]:
        return [copy.deepcopy(o) for (plural, ns, _), o in sorted(self.objects.items())
                if plural == ref.plural and ns == (namespace or "")
                and all(o["metadata"].get("labels", {}).get(k) == v for k, v in (labels or {}).items())]

    converge = KubeClient.converge  # the real compare-before-apply, over this fake's get and apply

    async def apply(self, ref: Ref, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        key = (ref.plural, namespace or "", body["metadata"]["name"])
        old = self.objects.get(key)
        new = copy.deepcopy(body)
        if old is not None and "status" in old:
            new["status"] = old["status"]
        if old is not None and ref.plural == "deployments" and "replicas" not in body["spec"]:
            new["spec"]["replicas"] = old["spec"].get("replicas", 1)  # the HPA's field, not ours
        self.objects[key] = new
        self.writes.append(("apply", ref.plural, body["metadata"]["name"]))
        return new

    async def patch(self, ref: Ref, namespace: str | None, name: str, body: Any, **_: Any) -> dict[str, Any]:
        obj = self.objects[(ref.plural, namespace or "", name)]
        merge(obj, body)
        self.writes.append(("patch", ref.plural, name))
        return obj

    async def create(self, ref: Ref, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        name = body["metadata"].get("name") or f"{body['metadata'].get('generateName', 'x')}{len(self.objects)}"
        body = {**body, "metadata": {**body["metadata"], "name": name}}
        self.objects[(ref.plural, namespace or "", name)] = copy.deepcopy(body)
        return body

    async def delete(self, ref: Ref, namespace: str | None, name: str, **_: Any) -> bool:
        self.writes.append(("delete", ref.plural, name))
        return self.objects.pop((ref.plural, namespace or "", name), None) is not None

    def sync_pods(self, namespace: str, *, failing: Mapping[str, str] | None = None,
                  not_ready: set[str] | frozenset[str] = frozenset()) -> None:
        """The test's Deployment controller: each Deployment gets exactly ``replicas`` pods, at once.

        ``failing`` maps a ModelVersion label to a container waiting reason; ``not_ready`` never get ready.
        """
        for key in [k for k in self.objects if k[0] == "pods"]:
            del self.objects[key]
        for (plural, ns, name), d in list(self.objects.items()):
            if plural != "deployments" or ns != namespace:
                continue
            labels = d["spec"]["template"]["metadata"]["labels"]
            version = labels.get("modelyard.io/modelversion", "")
            for i in range(int(d["spec"].get("replicas", 1))):
                self.put(PODS, pod(f"{name}-{i}", namespace, labels, i, ready=version not in not_ready
                                   and version not in (failing or {}), waiting=(failing or {}).get(version)))

    def ready_pods(self, namespace: str, version: str) -> int:
        return sum(1 for (plural, ns, _), p in self.objects.items() if plural == "pods" and ns == namespace
                   and p["metadata"]["labels"].get("modelyard.io/modelversion") == version
                   and p["status"]["conditions"][0]["status"] == "True")


def pod(name: str, namespace: str, labels: Mapping[str, str], i: int, *, ready: bool,
        waiting: str | None) -> dict[str, Any]:
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace,
                                                             "labels": dict(labels)},
            "status": {"phase": "Running", "podIP": f"10.0.0.{i + 1}",
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                       "containerStatuses": [{"name": "server", "state": state, "restartCount": 3 if waiting else 0}]}}


class FakeProvider:
    """Metric values driven by the test: ``values[metric]`` is a value, an exception message, or a callable."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[float | None, float | None, str | None]] = {}
        self.calls: list[tuple[str, Target]] = []

    def set(self, metric: str, value: float | None, requests: float | None = 100, error: str | None = None) -> None:
        self.values[metric] = (value, requests, error)

    async def measure(self, metric: AnalysisMetric, target: Target, now: datetime) -> Measurement:
        self.calls.append((metric.name, target))
        value, requests, error = self.values.get(metric.name, (None, None, "no value set by the test"))
        return Measurement(metric.name, now, value=value, requests=requests, error=error)
