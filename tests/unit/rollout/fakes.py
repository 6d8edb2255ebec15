"""Fakes for the controller: the few KubeClient methods it uses, and a metrics provider the test drives."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from modelyard.adapters.kube import PODS, Ref
from modelyard.adapters.metrics.base import Target
from modelyard.api.inferenceservice import AnalysisMetric
from modelyard.core.measurement import Measurement
from tests.unit.fake_api import FakeApi, merge

__all__ = ["FakeKube", "FakeProvider", "merge"]


class FakeKube(FakeApi):
    """The shared fake, plus a Deployment controller the test drives (``sync_pods``) and apply keeping what
    the server and the HPA own (status, an omitted replica count)."""

    def put(self, ref: Ref, body: dict[str, Any]) -> None:
        self.store(ref, body)

    async def apply(self, ref: Ref, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        key = (ref.plural, namespace or "", body["metadata"]["name"])
        old = self.objects.get(key)
        new = copy.deepcopy(body)
        if old is not None and "status" in old:
            new["status"] = old["status"]
        if old is not None and ref.plural == "deployments" and "replicas" not in body["spec"]:
            new["spec"]["replicas"] = old["spec"].get("replicas", 1)  # the HPA's field, not ours
        self.objects[key] = new
        self.calls.append(f"apply {ref.plural}")
        self.writes.append(("apply", ref.plural, body["metadata"]["name"]))
        return copy.deepcopy(new)

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
            replicas = int(d["spec"].get("replicas", 1))
            ready = version not in not_ready and version not in (failing or {})
            for i in range(replicas):
                self.put(PODS, pod(f"{name}-{i}", namespace, labels, i, ready=ready,
                                   waiting=(failing or {}).get(version)))
            d["status"] = {"replicas": replicas, "readyReplicas": replicas if ready else 0}

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
