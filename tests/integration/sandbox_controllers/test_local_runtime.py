"""The local pod runtime: real processes, their logs, termination messages, readiness; nothing left behind."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp

from modelyard.adapters.kube import PODS
from modelyard.sandbox.runtime.cluster import SandboxCluster
from tests.integration.conftest import SandboxHandle

ROOT = Path(__file__).resolve().parents[3]
NS = "default"
SCRIPT = ("import os, sys; print('training...'); "
          "open(os.environ['MODELYARD_TERMINATION_LOG'], 'w').write('{\"metrics\": {\"acc\": 0.93}}'); "
          "sys.exit(int(os.environ.get('CODE', '0')))")


def local_pod(name: str, command: list[str], *, restart: str = "Never", env: dict[str, str] | None = None,
              **container: Any) -> dict[str, Any]:
    envs = [{"name": k, "value": v} for k, v in (env or {}).items()]
    envs += [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "annotations": {"sandbox.modelyard.io/run-local": "true"}},
            "spec": {"restartPolicy": restart,
                     "containers": [{"name": "main", "image": "python:3.11", "command": command, "env": envs,
                                     **container}]}}


async def phase_is(sandbox: SandboxHandle, name: str, *phases: str) -> dict[str, Any] | None:
    pod = await sandbox.kube.get(PODS, NS, name)
    return pod if pod.get("status", {}).get("phase") in phases else None


async def _start() -> SandboxHandle:
    from tests.integration.conftest import _handle

    cluster = SandboxCluster(crds=ROOT / "crds", operator=False, local_runtime=True)
    await cluster.start()
    return _handle(cluster)


async def test_trainer_like_pod_reports_its_message_and_logs() -> None:
    sandbox = await _start()
    try:
        body = local_pod("train", ["python", "-c", SCRIPT],
                         env={"MODELYARD_TERMINATION_LOG": "/dev/termination-log"})
        await sandbox.kube.create(PODS, NS, body)
        pod = await sandbox.wait_for(lambda: phase_is(sandbox, "train", "Succeeded", "Failed"), timeout=20)
        term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
        assert (pod["status"]["phase"], term["exitCode"]) == ("Succeeded", 0)
        assert json.loads(term["message"]) == {"metrics": {"acc": 0.93}}
        async with aiohttp.ClientSession() as http, http.get(sandbox.url + PODS.path(NS, "train", "log")) as resp:
            assert "training..." in await resp.text()  # what `kubectl logs train` prints
    finally:
        await sandbox.cluster.stop()


async def test_failing_pod_maps_exit_code() -> None:
    sandbox = await _start()
    try:
        body = local_pod("bad", ["python", "-c", SCRIPT],
                         env={"MODELYARD_TERMINATION_LOG": "/dev/termination-log", "CODE": "3"})
        await sandbox.kube.create(PODS, NS, body)
        pod = await sandbox.wait_for(lambda: phase_is(sandbox, "bad", "Succeeded", "Failed"), timeout=20)
        term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
        assert (pod["status"]["phase"], term["exitCode"], term["reason"]) == ("Failed", 3, "Error")
    finally:
        await sandbox.cluster.stop()


async def test_server_pod_becomes_ready_on_its_probe_and_dies_with_the_sandbox() -> None:
    sandbox = await _start()
    stopped = False
    try:
        body = local_pod("web", [sys.executable, "-m", "http.server", "8080", "--bind", "127.0.0.1"],
                         restart="Always", ports=[{"name": "http", "containerPort": 8080}],
                         readinessProbe={"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1})

        async def ready() -> dict[str, Any] | None:
            pod = await sandbox.kube.get(PODS, NS, "web")
            conds = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", [])}
            return pod if conds.get("Ready") == "True" else None
        await sandbox.kube.create(PODS, NS, body)
        pod = await sandbox.wait_for(ready, timeout=20)
        ports = json.loads(pod["metadata"]["annotations"]["sandbox.modelyard.io/ports"])
        local_port = int(ports["8080"])
        assert pod["status"]["podIP"] == "127.0.0.1" and _open(local_port)
        pids = set(sandbox.cluster.runtime.pids)
        assert pids
        await sandbox.cluster.stop()
        stopped = True
        await sandbox.wait_for(lambda: not _open(local_port) and not any(_alive(p) for p in pids), timeout=10)
    finally:
        if not stopped:
            await sandbox.cluster.stop()


def _open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
