"""Real model servers (the sandbox's local pod runtime) judged by the builtin provider from their /metrics.

No metric is driven by the test here: the test sends real infer requests, the operator scrapes the
canary pods' own /metrics. A canary whose artifact does not match its digest is refused by the server,
crash-loops, and is rolled back at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from modelyard.adapters.kube import HTTPROUTES, INFERENCESERVICES, MODELVERSIONS, SERVICES, Ref
from tests.integration.conftest import SandboxHandle
from tests.unit.serving.helpers import Artifact, train

from .conftest import NS, Rollout, condition

INFER = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [5.1, 3.5, 1.4, 0.2]}]}


def mv(name: str, artifact: Artifact, digest: str | None = None) -> dict[str, Any]:
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "ModelVersion", "metadata": {"name": name},
            "spec": {"model": "iris", "version": name.rsplit("-", 1)[-1],
                     "artifact": {"uri": artifact.uri, "digest": digest or artifact.digest, "format": "sklearn"}}}


def isvc(steps: list[dict[str, Any]], replicas: int = 1, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "InferenceService", "metadata": {"name": "iris"},
            "spec": {"model": {"modelVersion": "iris-v1"}, "predictor": {"replicas": replicas}, **spec,
                     "rollout": {"steps": steps, "scaleDownDelay": "1s", "readyDeadline": "60s"},
                     "analysis": {"interval": "2s", "metrics": [
                         {"name": "errors", "threshold": {"max": 0.05}, "minRequests": 5,
                          "provider": {"builtin": {"metric": "errorRate"}}}]}}}


async def send_traffic(sandbox: SandboxHandle, stop: asyncio.Event, sent: list[tuple[int, str]],
                       ref: Ref = SERVICES) -> None:
    """Infer requests through the sandbox's local endpoint of the Service (or HTTPRoute) ``iris``, as clients
    of the cluster would send them; records (status, pod that answered)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        while not stop.is_set():
            obj = await sandbox.kube.get_or_none(ref, NS, "iris")
            url = ((obj or {}).get("metadata", {}).get("annotations") or {}).get("sandbox.modelyard.io/url")
            if url:
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.post(f"{url}/v2/models/iris/infer", json=INFER) as r:
                        sent.append((r.status, r.headers.get("X-Sandbox-Pod", "")))
            await asyncio.sleep(0.01)


async def serve_v1(sandbox: SandboxHandle, tmp_path: Path, steps: list[dict[str, Any]],
                   **spec: Any) -> tuple[Rollout, Artifact]:
    r = Rollout(sandbox)
    v1 = await asyncio.to_thread(train, tmp_path / "v1")
    await sandbox.kube.create(MODELVERSIONS, NS, mv("iris-v1", v1))
    await sandbox.kube.create(INFERENCESERVICES, NS, isvc(steps, **spec))
    await r.until("v1 served by a real server", lambda s: s.get("phase") == "Healthy", within=60)
    return r, v1


@pytest.mark.parametrize("router", ["replicaRatio", "gatewayAPI"])
async def test_builtin_metrics_of_real_servers_promote_a_canary(
        sandbox_local: SandboxHandle, tmp_path: Path, router: str) -> None:
    r, _ = await serve_v1(sandbox_local, tmp_path, [{"setWeight": 50}, {"pause": {"duration": "4s"}}],
                          traffic={"router": router, "parentRefs": [{"name": "public"}]}, replicas=2)
    v2 = await asyncio.to_thread(train, tmp_path / "v2", env={"HP_C": "0.5"})
    await sandbox_local.kube.create(MODELVERSIONS, NS, mv("iris-v2", v2))
    stop, sent = asyncio.Event(), []
    traffic = asyncio.create_task(send_traffic(sandbox_local, stop, sent, HTTPROUTES if router == "gatewayAPI"
                                               else SERVICES))
    try:
        await r.until("traffic flows", lambda _s: len(sent) > 10)
        await r.pin("iris-v2")
        st = await r.until("v2 promoted on real metrics", lambda s: (s.get("stable") or {}).get(
            "modelVersion") == "iris-v2" and s.get("phase") == "Healthy", within=60)
    finally:
        stop.set()
        await traffic
    counters = st["analysis"]["metrics"][0]
    assert counters["successful"] >= 1 and counters["failed"] == 0, counters
    assert counters["last"]["requests"] >= 5 and counters["last"]["value"] == 0.0
    assert st["stable"]["verified"] is True
    codes = [code for code, _ in sent]
    assert 503 not in codes, "no request saw zero ready endpoints"
    assert codes.count(200) >= len(codes) - 2, f"at most a request or two caught a pod as it stopped: {set(codes)}"
    answered = {pod.rsplit("-", 2)[0] for _, pod in sent}
    assert answered >= {"iris-iris-v1", "iris-iris-v2"}, "both versions took real traffic"


async def test_canary_refusing_its_artifact_is_rolled_back_at_once(
        sandbox_local: SandboxHandle, tmp_path: Path) -> None:
    r, v1 = await serve_v1(sandbox_local, tmp_path, [{"setWeight": 50}, {"pause": {}}])
    v2 = await asyncio.to_thread(train, tmp_path / "v2", env={"HP_C": "0.5"})
    await sandbox_local.kube.create(MODELVERSIONS, NS, mv("iris-v2", v2, digest=v1.digest))  # wrong digest
    await r.pin("iris-v2")
    st = await r.until("rolled back", lambda s: condition(s, "Stalled") == ("True", "RolledBack"), within=60)
    assert st["rejections"][0]["measurements"][0]["metric"] == "canaryPods"
    assert st["stable"]["modelVersion"] == "iris-v1" and await r.ready_pods("iris-v1") == 1


async def test_a_bad_model_fails_on_its_real_error_rate_and_stable_keeps_serving(
        sandbox_local: SandboxHandle, tmp_path: Path) -> None:
    r, _ = await serve_v1(sandbox_local, tmp_path, [{"setWeight": 50}, {"pause": {"duration": "30s"}}])
    bad = await asyncio.to_thread(train, tmp_path / "bad", "--bad")  # answers half its infer requests with 500
    await sandbox_local.kube.create(MODELVERSIONS, NS, mv("iris-v2", bad))
    stop, sent = asyncio.Event(), []
    traffic = asyncio.create_task(send_traffic(sandbox_local, stop, sent))
    try:
        await r.pin("iris-v2")
        st = await r.until("rolled back on 50% errors",
                           lambda s: condition(s, "Stalled") == ("True", "RolledBack"), within=30)
        failing = st["rejections"][0]["measurements"][0]
        assert failing["metric"] == "errors" and failing["value"] > 0.05 and failing["requests"] >= 5
        assert 503 not in [code for code, _ in sent], "no request saw zero ready endpoints"
        await asyncio.sleep(0.5)  # the canary's pods stop; a request caught by a stopping pod may get a 502
        sent.clear()
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        await traffic
    assert st["stable"]["modelVersion"] == "iris-v1" and await r.ready_pods("iris-v1") == 1
    assert sent and {code for code, _ in sent} == {200}, "after the rollback only the stable answers, and well"
    assert {pod.rsplit("-", 2)[0] for _, pod in sent} == {"iris-iris-v1"}
