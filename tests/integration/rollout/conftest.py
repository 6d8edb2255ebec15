"""Rollout integration fixtures: metric values driven by the test, objects, waits, an operator restart.

The operator runs in the same process (the shared ``sandbox`` fixture), so the test drives the metric
values by standing in for ``modelyard.adapters.metrics.provider_for``, the factory the controller
looks up on every reconcile (``adapters.metrics.factory.provider_for``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from modelyard.adapters.kube import INFERENCESERVICES, MODELVERSIONS, PODS, Ref
from modelyard.adapters.metrics import factory
from modelyard.adapters.metrics.base import Target
from modelyard.api.inferenceservice import AnalysisMetric
from modelyard.core.measurement import Measurement
from tests.integration.conftest import SandboxHandle

NS = "default"
ENDPOINTS = Ref("", "v1", "endpoints")
DIGEST = "sha256:" + "d" * 64
FAST_ROLLOUT: dict[str, Any] = {
    "steps": [{"setWeight": 25}, {"pause": {"duration": "600ms"}}, {"setWeight": 50}, {"pause": {"duration": "600ms"}}],
    "scaleDownDelay": "500ms", "progressDeadline": "20s", "readyDeadline": "20s",
}
ANALYSIS: dict[str, Any] = {"interval": "200ms", "metrics": [
    {"name": "errors", "threshold": {"max": 0.05}, "provider": {"builtin": {"metric": "errorRate"}}}]}


class DrivenMetrics:
    """A metrics provider whose values the test sets; every call is recorded (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[float | None, float | None, str | None] = (0.0, 100.0, None)
        self.calls: list[tuple[str, str]] = []

    def set(self, value: float | None, requests: float | None = 100.0, error: str | None = None) -> None:
        with self._lock:
            self._value = (value, requests, error)

    async def measure(self, metric: AnalysisMetric, target: Target, now: datetime) -> Measurement:
        with self._lock:
            value, requests, error = self._value
            self.calls.append((metric.name, target.canary_version))
        return Measurement(metric.name, now, value=value, requests=requests, error=error)


@pytest.fixture
def metrics(monkeypatch: pytest.MonkeyPatch) -> Iterator[DrivenMetrics]:
    driven = DrivenMetrics()
    monkeypatch.setattr(factory, "provider_for", lambda _spec: driven)
    yield driven


def modelversion(name: str, *, metrics: dict[str, float] | None = None, tags: dict[str, str] | None = None,
                 model: str = "iris") -> dict[str, Any]:
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "ModelVersion", "metadata": {"name": name},
            "spec": {"model": model, "version": name.rsplit("-", 1)[-1], "metrics": metrics or {},
                     "tags": tags or {},
                     "artifact": {"uri": f"file:///models/{name}.joblib", "digest": DIGEST, "format": "sklearn"}}}


def inferenceservice(model: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "InferenceService", "metadata": {"name": "iris"},
            "spec": {"model": model, "predictor": {"replicas": 3}, "rollout": FAST_ROLLOUT, "analysis": ANALYSIS,
                     **spec}}


@dataclass
class Rollout:
    """Given/When/Then helpers over one sandbox."""

    sandbox: SandboxHandle
    endpoint_samples: list[int] = field(default_factory=list)

    async def version(self, name: str, **kw: Any) -> None:
        await self.sandbox.kube.create(MODELVERSIONS, NS, modelversion(name, **kw))
        await self.sandbox.wait_for(lambda: self._phase(name), message=f"{name} Ready")

    async def _phase(self, name: str) -> bool:
        mv = await self.sandbox.kube.get(MODELVERSIONS, NS, name)
        return bool(mv.get("status", {}).get("phase") == "Ready")

    async def status(self) -> dict[str, Any]:
        isvc = await self.sandbox.kube.get(INFERENCESERVICES, NS, "iris")
        status: dict[str, Any] = isvc.get("status") or {}
        return status

    async def until(self, what: str, check: Any, within: float = 20.0) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            st = await self.status()
            return st if check(st) else None
        return await self.sandbox.wait_for(probe, timeout=within, message=what)

    async def pin(self, name: str, **model: Any) -> None:
        await self.sandbox.kube.patch(INFERENCESERVICES, NS, "iris", {"spec": {"model": {"modelVersion": name,
                                                                                          **model}}})

    async def annotate(self, key: str, value: str) -> None:
        await self.sandbox.kube.patch(INFERENCESERVICES, NS, "iris", {"metadata": {"annotations": {key: value}}})

    async def ready_endpoints(self) -> int:
        ep = await self.sandbox.kube.get_or_none(ENDPOINTS, NS, "iris")
        return sum(len(s.get("addresses") or []) for s in (ep or {}).get("subsets") or [])

    async def ready_pods(self, version: str) -> int:
        pods = await self.sandbox.kube.list(PODS, NS, labels={"modelyard.io/modelversion": version})
        return sum(1 for p in pods if any(c.get("type") == "Ready" and c.get("status") == "True"
                                          for c in p.get("status", {}).get("conditions") or []))

    async def watch_endpoints(self, stop: asyncio.Event) -> None:
        """Sample the Service's ready endpoints until ``stop``: no request may ever find none."""
        while not stop.is_set():
            self.endpoint_samples.append(await self.ready_endpoints())
            await asyncio.sleep(0.02)


@pytest.fixture
async def rollout(sandbox: SandboxHandle, metrics: DrivenMetrics) -> AsyncIterator[Rollout]:
    yield Rollout(sandbox)


def condition(status: dict[str, Any], type_: str) -> tuple[str, str] | None:
    c = next((c for c in status.get("conditions") or [] if c.get("type") == type_), None)
    return None if c is None else (c["status"], c["reason"])
