"""Deployment -> ReplicaSet -> Pods and Service -> Endpoints in the sandbox; crash loops; the operator starts."""

from __future__ import annotations

from typing import Any

from modelyard.adapters.kube import DEPLOYMENTS, PODS, REPLICASETS, SERVICES, Ref
from modelyard.sandbox.controllers import Outcome
from tests.integration.conftest import SandboxHandle

NS = "default"
ENDPOINTS = Ref("", "v1", "endpoints")


def deployment(name: str, replicas: int, image: str = "server:1") -> dict[str, Any]:
    container = {"name": "main", "image": image, "ports": [{"name": "http", "containerPort": 8080}],
                 "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}}}}


async def rolled_out(sandbox: SandboxHandle, name: str, replicas: int) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        d = await sandbox.kube.get(DEPLOYMENTS, NS, name)
        s = d.get("status", {})
        done = (s.get("observedGeneration") == d["metadata"]["generation"] and s.get("replicas", 0) == replicas
                and s.get("updatedReplicas", 0) == replicas and s.get("availableReplicas", 0) == replicas)
        return d if done else None
    return await sandbox.wait_for(check, message=f"deployment {name} rolled out")


async def test_deployment_rolls_out_and_endpoints_follow(sandbox_cluster: SandboxHandle) -> None:
    kube = sandbox_cluster.kube
    await kube.create(DEPLOYMENTS, NS, deployment("web", 2))
    await kube.create(SERVICES, NS, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                                     "spec": {"selector": {"app": "web"},
                                              "ports": [{"port": 80, "targetPort": "http"}]}})
    d = await rolled_out(sandbox_cluster, "web", 2)
    assert {c["type"]: c["reason"] for c in d["status"]["conditions"]} == {
        "Available": "MinimumReplicasAvailable", "Progressing": "NewReplicaSetAvailable"}

    async def two_ready() -> dict[str, Any] | None:
        ep = await kube.get_or_none(ENDPOINTS, NS, "web")
        subsets = (ep or {}).get("subsets") or [{}]
        return ep if len(subsets[0].get("addresses", [])) == 2 else None
    ep = await sandbox_cluster.wait_for(two_ready)
    assert ep["subsets"][0]["ports"] == [{"port": 8080, "protocol": "TCP"}]

    template = deployment("web", 3, "server:2")["spec"]["template"]
    await kube.patch(DEPLOYMENTS, NS, "web", {"spec": {"replicas": 3, "template": template}})
    await rolled_out(sandbox_cluster, "web", 3)
    sets = {r["metadata"]["name"]: r["spec"]["replicas"] for r in await kube.list(REPLICASETS, NS)}
    assert sorted(sets.values()) == [0, 3]
    pods = await kube.list(PODS, NS, labels={"app": "web"})
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {"server:2"}


async def test_steady_deployment_makes_no_writes(sandbox_cluster: SandboxHandle) -> None:
    await sandbox_cluster.kube.create(DEPLOYMENTS, NS, deployment("calm", 1))
    await rolled_out(sandbox_cluster, "calm", 1)
    await sandbox_cluster.wait_for(lambda: _no_writes_for(sandbox_cluster, 0.5), timeout=10)


async def _no_writes_for(sandbox: SandboxHandle, seconds: float) -> bool:
    import asyncio

    sandbox.requests.clear()
    await asyncio.sleep(seconds)  # a quiet window is the thing measured, not a wait for a result
    return not sandbox.requests.counts(writes_only=True)


async def test_crash_loop_grows_restart_count(sandbox_cluster: SandboxHandle) -> None:
    sandbox_cluster.behaviours.add(Outcome(exit_code=1, run_seconds=0.01), labels={"app": "crash"})
    await sandbox_cluster.kube.create(DEPLOYMENTS, NS, deployment("crash", 1))

    async def looping() -> dict[str, Any] | None:
        pods = await sandbox_cluster.kube.list(PODS, NS, labels={"app": "crash"})
        statuses = [c for p in pods for c in p.get("status", {}).get("containerStatuses", [])]
        return next((c for c in statuses if c["restartCount"] >= 2
                     and c["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff"), None)
    status = await sandbox_cluster.wait_for(looping)
    assert status["lastState"]["terminated"]["exitCode"] == 1

    async def unavailable() -> bool:  # between two crashes the pod is briefly Running: the status follows
        d = await sandbox_cluster.kube.get(DEPLOYMENTS, NS, "crash")
        return not d["status"].get("availableReplicas") and d["status"].get("replicas") == 1
    assert await sandbox_cluster.wait_for(unavailable)


async def test_operator_runs_in_the_sandbox(sandbox: SandboxHandle) -> None:
    assert sandbox.cluster.operator_running
    assert sandbox.kubeconfig.exists()
