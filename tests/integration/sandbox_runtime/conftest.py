"""Fixtures of the sandbox runtime tests: a sandbox with the local pod runtime and local endpoints, and
helpers to run tiny real HTTP servers as pods behind Services and HTTPRoutes."""

from __future__ import annotations

import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from modelyard.adapters.kube import DEPLOYMENTS, PODS
from modelyard.sandbox.controllers import Timing
from modelyard.sandbox.runtime.cluster import SandboxCluster
from tests.integration.conftest import SandboxHandle, _handle

ROOT = Path(__file__).resolve().parents[3]
ECHO = Path(__file__).with_name("echo_server.py")
NS = "default"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "demo: the whole `modelyard sandbox demo` story (slow; select with -m demo)")


@pytest.fixture
async def local_sandbox() -> AsyncIterator[SandboxHandle]:
    """API + simulated controllers + local pod runtime + local endpoints; no operator."""
    cluster = SandboxCluster(crds=ROOT / "crds", operator=False, local_runtime=True, timing=Timing(), resync=1.0)
    await cluster.start()
    try:
        yield _handle(cluster)
    finally:
        await cluster.stop()


def echo_deployment(name: str, replicas: int, labels: dict[str, str]) -> dict[str, Any]:
    """A Deployment of real local echo servers (port "http" 8080, readiness GET /healthz)."""
    container = {
        "name": "echo", "image": "python:3.11", "command": [sys.executable, str(ECHO), "8080"],
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 1,
                           "failureThreshold": 1},
    }
    template = {"metadata": {"labels": labels, "annotations": {"sandbox.modelyard.io/run-local": "true"}},
                "spec": {"containers": [container]}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": NS},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template}}


def service(name: str, selector: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS},
            "spec": {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}


def httproute(name: str, weights: dict[str, int]) -> dict[str, Any]:
    refs = [{"name": svc, "port": 80, "weight": w} for svc, w in weights.items()]
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"parentRefs": [{"name": "gateway"}], "rules": [{"backendRefs": refs}]}}


async def ready_pods(sandbox: SandboxHandle, selector: str) -> list[dict[str, Any]]:
    pods = await sandbox.kube.list(PODS, NS, selector=selector)
    return [p for p in pods if any(c["type"] == "Ready" and c["status"] == "True"
                                   for c in p.get("status", {}).get("conditions", []))]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


__all__ = ["DEPLOYMENTS", "NS", "echo_deployment", "httproute", "port_open", "ready_pods", "service"]
