"""Helpers of the observability and fault suites: example objects, the operator as a real process."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from modelyard.adapters.kube import INFERENCESERVICES, MODELVERSIONS, TRAININGJOBS, KubeClient, Ref

ROOT = Path(__file__).resolve().parents[3]
NAMESPACE = "default"
KINDS: dict[str, Ref] = {"TrainingJob": TRAININGJOBS, "ModelVersion": MODELVERSIONS,
                         "InferenceService": INFERENCESERVICES}


def example(kind: str, name: str, namespace: str = NAMESPACE) -> dict[str, Any]:
    """A valid object of ``kind`` (from the repository's examples) renamed."""
    path = {"TrainingJob": "examples/gitops/workloads/trainingjob.yaml",
            "ModelVersion": "examples/modelversion-sandbox.yaml",
            "InferenceService": "examples/gitops/workloads/inferenceservice.yaml"}[kind]
    body: dict[str, Any] = copy.deepcopy(yaml.safe_load((ROOT / path).read_text()))
    body["metadata"] = {"name": name, "namespace": namespace}
    if kind == "ModelVersion":
        body["spec"]["version"] = name
    return body


def condition(obj: dict[str, Any] | None, type_: str) -> dict[str, Any] | None:
    """The condition of that type in ``obj``'s status, if any."""
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return dict(c)
    return None


def reconciled(obj: dict[str, Any] | None) -> bool:
    """The operator has written a status describing the current generation, with a Ready condition."""
    if not obj:
        return False
    status = obj.get("status") or {}
    return status.get("observedGeneration") == obj["metadata"].get("generation") and condition(obj, "Ready") is not None


async def get(kube: KubeClient, kind: str, name: str) -> dict[str, Any] | None:
    return await kube.get_or_none(KINDS[kind], NAMESPACE, name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class OperatorProcess:
    """``modelyard run`` in a child process against a sandbox cluster; ``kill()`` is SIGKILL (no clean-up)."""

    def __init__(self, kubeconfig: Path, log: Path, *, peering: str | None = None, priority: int = 0,
                 env: dict[str, str] | None = None) -> None:
        self.metrics_port, self.liveness_port = free_port(), free_port()
        self.log = log
        args = [sys.executable, "-m", "modelyard", "run", "--metrics-port", str(self.metrics_port),
                "--liveness-port", str(self.liveness_port), "--log-format", "json"]
        if peering:
            args += ["--peering", peering, "--priority", str(priority)]
        full_env = {**os.environ, "KUBECONFIG": str(kubeconfig), "PYTHONPATH": str(ROOT / "operator"),
                    "MODELYARD_RESYNC_SECONDS": os.environ.get("MODELYARD_RESYNC_SECONDS", "0.2"), **(env or {})}
        self._out = log.open("wb")
        self.proc = subprocess.Popen(args, env=full_env, stdout=self._out, stderr=subprocess.STDOUT, cwd=ROOT)

    @property
    def healthz(self) -> str:
        return f"http://127.0.0.1:{self.liveness_port}/healthz"

    @property
    def metrics(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    async def fetch(self, url: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as s, s.get(url, timeout=aiohttp.ClientTimeout(total=30)) as r:
            return r.status, await r.text()

    async def wait_serving(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Until /healthz answers (start-up done); fails early if the process died."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the operator exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
            try:
                if (await self.fetch(self.healthz))[0] == 200:
                    return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise AssertionError(f"the operator did not serve /healthz within {timeout}s:\n{self.log_text()[-3000:]}")

    def log_text(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def json_lines(self) -> Iterator[dict[str, Any]]:
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()
