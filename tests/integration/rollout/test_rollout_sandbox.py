"""The real operator against the sandbox cluster: canaries promoted, rolled back, paused, gated, restarted."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest
import yaml

from modelyard.adapters.kube import (
    DEPLOYMENTS,
    HTTPROUTES,
    INFERENCESERVICES,
    MODELVERSIONS,
    SERVICES,
    TRAININGJOBS,
)
from modelyard.sandbox.controllers import Outcome
from modelyard.sandbox.runtime.cluster import SandboxCluster
from tests.integration.conftest import ROOT

from .conftest import NS, DrivenMetrics, Rollout, condition, inferenceservice

STABLE_V1 = {"modelVersion": "iris-v1"}


def stable_is(name: str) -> Any:
    return lambda st: (st.get("stable") or {}).get("modelVersion") == name and st.get("phase") == "Healthy"


def canary_at(weight: int) -> Any:
    return lambda st: st.get("canary") is not None and st.get("canaryWeight") == weight


async def serving_v1(r: Rollout, **spec: Any) -> None:
    await r.version("iris-v1")
    await r.sandbox.kube.create(INFERENCESERVICES, NS, inferenceservice(STABLE_V1, **spec))
    await r.until("v1 healthy", stable_is("iris-v1"))


async def restart_operator(cluster: SandboxCluster) -> None:
    """Kill the operator and start a new one (a new thread, event loop, kopf and API client)."""
    await cluster._stop_operator_thread()
    cluster._stop_operator = threading.Event()
    await cluster._start_operator()


async def test_first_deploy_serves_the_version(rollout: Rollout) -> None:
    await serving_v1(rollout)
    st = await rollout.status()
    assert condition(st, "Ready") == ("True", "Healthy") and st["url"] == "http://iris.default.svc.cluster.local"
    assert await rollout.ready_pods("iris-v1") == 3 and await rollout.ready_endpoints() == 3
    d = await rollout.sandbox.kube.get(DEPLOYMENTS, NS, "iris-iris-v1")
    env = {e["name"]: e.get("value") for e in d["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["MODELYARD_MODEL_DIGEST"].startswith("sha256:") and env["MODELYARD_MODEL_URI"].startswith("file://")
    assert d["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


async def test_canary_promoted_through_all_steps_keeps_endpoints(rollout: Rollout) -> None:
    await serving_v1(rollout)
    stop = asyncio.Event()
    watcher = asyncio.create_task(rollout.watch_endpoints(stop))
    await rollout.version("iris-v2")
    await rollout.pin("iris-v2")
    seen = set()
    st = await rollout.until("v2 promoted", lambda s: seen.add(s.get("canaryWeight")) or stable_is("iris-v2")(s))
    stop.set()
    await watcher
    assert {25, 50} <= seen
    assert min(rollout.endpoint_samples) > 0, "no request may see zero ready endpoints"
    assert [h["outcome"] for h in st["history"][:2]] == ["Promoted", "Promoted"]
    await rollout.sandbox.wait_for(lambda: _gone(rollout, "iris-iris-v1"), message="old stable removed after delay")


async def _gone(r: Rollout, name: str) -> bool:
    return await r.sandbox.kube.get_or_none(DEPLOYMENTS, NS, name) is None


async def test_failed_metric_rolls_back_and_is_not_retried(rollout: Rollout, metrics: DrivenMetrics) -> None:
    await serving_v1(rollout)
    stop = asyncio.Event()
    watcher = asyncio.create_task(rollout.watch_endpoints(stop))
    await rollout.version("iris-v2")
    metrics.set(0.4)
    await rollout.pin("iris-v2")
    st = await rollout.until("rolled back", lambda s: condition(s, "Stalled") == ("True", "RolledBack"))
    assert st["rejected"] == ["iris-v2"] and st["stable"]["modelVersion"] == "iris-v1" and "canary" not in st
    assert st["rejections"][0]["measurements"][0]["value"] == 0.4 and condition(st, "Ready")[0] == "False"
    await asyncio.sleep(1.0)  # several resyncs: the rejected version is not tried again
    st = await rollout.status()
    assert "canary" not in st and condition(st, "Stalled") == ("True", "RolledBack")
    stop.set()
    await watcher
    assert min(rollout.endpoint_samples) > 0 and await rollout.ready_pods("iris-v1") == 3
    metrics.set(0.0)
    await rollout.pin("iris-v2", retry=1)
    await rollout.until("retried and promoted", stable_is("iris-v2"))


async def test_inconclusive_for_lack_of_traffic_pauses_then_manual_promote(
        rollout: Rollout, metrics: DrivenMetrics) -> None:
    await serving_v1(rollout)
    await rollout.version("iris-v2")
    metrics.set(0.0, requests=2)
    await rollout.pin("iris-v2")
    st = await rollout.until("paused", lambda s: s.get("phase") == "Paused")
    assert condition(st, "Reconciling") == ("True", "AnalysisInconclusive")
    await asyncio.sleep(1.5)
    assert (await rollout.status()).get("canary") is not None, "inconclusive is never a pass"
    await rollout.annotate("modelyard.io/promote", "1")
    st = await rollout.until("promoted by hand", stable_is("iris-v2"))
    assert st["handled"]["promote"] == "1"


@pytest.mark.parametrize(("errors", "rolled_back"), [(4, False), (5, True)], ids=["up-to-limit", "past-limit"])
async def test_provider_errors_up_to_and_past_the_limit(
        rollout: Rollout, metrics: DrivenMetrics, errors: int, rolled_back: bool) -> None:
    await serving_v1(rollout, rollout={**inferenceservice({})["spec"]["rollout"],
                                       "steps": [{"setWeight": 25}, {"pause": {}}]})
    await rollout.version("iris-v2")
    metrics.set(None, error="connection refused")
    await rollout.pin("iris-v2")
    await rollout.until("canary serving", canary_at(25))
    st = await rollout.until(f"{errors} errors", lambda s: _errors(s) >= errors or s.get("canary") is None)
    metrics.set(0.0)
    await asyncio.sleep(0.6)
    st = await rollout.status()
    assert (st.get("canary") is None) is rolled_back, st.get("message")


def _errors(st: dict[str, Any]) -> int:
    metrics = (st.get("analysis") or {}).get("metrics") or [{}]
    return int(metrics[0].get("consecutiveErrors", 0))


async def test_abort_and_pause_from_kubectl_and_git(rollout: Rollout) -> None:
    await serving_v1(rollout)
    await rollout.version("iris-v2")
    await rollout.pin("iris-v2")
    await rollout.until("canary at 25", canary_at(25))
    await rollout.sandbox.kube.patch(INFERENCESERVICES, NS, "iris", {"spec": {"rollout": {"paused": True}}})
    st = await rollout.until("paused", lambda s: s.get("phase") == "Paused")
    step = st["currentStep"]
    await asyncio.sleep(1.5)
    assert (await rollout.status())["currentStep"] == step
    await rollout.annotate("modelyard.io/abort", "now")
    st = await rollout.until("aborted", lambda s: condition(s, "Stalled") == ("True", "Aborted"))
    assert st["history"][0]["outcome"] == "Aborted" and st["stable"]["modelVersion"] == "iris-v1"


async def test_offline_gate_refuses_a_candidate_with_no_traffic_moved(rollout: Rollout) -> None:
    await serving_v1(rollout)
    await rollout.sandbox.kube.patch(INFERENCESERVICES, NS, "iris", {"spec": {"model": {
        "gates": [{"metric": "accuracy", "threshold": {"min": 0.9}}]}}})
    await rollout.version("iris-v2", metrics={"accuracy": 0.5})
    await rollout.pin("iris-v2")
    st = await rollout.until("gate failed", lambda s: condition(s, "Stalled") == ("True", "GateFailed"))
    assert st.get("canaryWeight", 0) == 0 and "canary" not in st
    assert await rollout.sandbox.kube.get_or_none(DEPLOYMENTS, NS, "iris-iris-v2") is None


async def test_tracked_model_picks_up_a_version_from_a_trainingjob(rollout: Rollout) -> None:
    await rollout.version("iris-v1")
    await rollout.sandbox.kube.create(INFERENCESERVICES, NS, inferenceservice({"track": {"model": "iris"}}))
    await rollout.until("v1 healthy", stable_is("iris-v1"))
    report = {"artifact": {"uri": "s3://models/iris/v2/model.joblib", "digest": "sha256:" + "7" * 64,
                           "format": "sklearn"}, "metrics": {"accuracy": 0.97}}
    rollout.sandbox.behaviours.add(Outcome(exit_code=0, message=json.dumps(report)),
                                   labels={"modelyard.io/trainingjob": "iris-train"})
    job = {"apiVersion": "modelyard.io/v1alpha1", "kind": "TrainingJob", "metadata": {"name": "iris-train"},
           "spec": {"model": "iris", "image": "ghcr.io/modelyard/trainers:0.1.0", "version": "v2",
                    "output": {"uri": "s3://models/iris"}}}
    await rollout.sandbox.kube.create(TRAININGJOBS, NS, job)
    st = await rollout.until("the trained version promoted on its own", lambda s: (s.get("stable") or {}).get(
        "modelVersion", "iris-v1") != "iris-v1" and s.get("phase") == "Healthy", within=30)
    assert st["history"][0]["outcome"] == "Promoted" and st["stable"]["digest"] == "sha256:" + "7" * 64
    mv = await rollout.sandbox.kube.get(MODELVERSIONS, NS, st["stable"]["modelVersion"])
    assert mv["spec"]["lineage"]["trainingJob"]["name"] == "iris-train"


async def test_tracked_model_picks_up_a_new_modelversion(rollout: Rollout) -> None:
    await rollout.version("iris-v1")
    await rollout.sandbox.kube.create(INFERENCESERVICES, NS, inferenceservice({"track": {"model": "iris"}}))
    await rollout.until("v1 healthy", stable_is("iris-v1"))
    await rollout.version("iris-v2")
    await rollout.until("v2 promoted on its own", stable_is("iris-v2"))


@pytest.mark.parametrize("at", ["canary-created", "weight-25", "pause", "weight-50"])
async def test_operator_restart_mid_step_resumes(rollout: Rollout, at: str) -> None:
    await serving_v1(rollout, rollout={**inferenceservice({})["spec"]["rollout"], "steps": [
        {"setWeight": 25}, {"pause": {"duration": "2s"}}, {"setWeight": 50}, {"pause": {"duration": "2s"}}]})
    await rollout.version("iris-v2")
    await rollout.pin("iris-v2")
    checks = {"canary-created": lambda s: s.get("canary") is not None,
              "weight-25": canary_at(25), "pause": lambda s: s.get("currentStep") == 1,
              "weight-50": canary_at(50)}
    before = await rollout.until(at, checks[at])
    await restart_operator(rollout.sandbox.cluster)
    after = await rollout.status()
    assert after.get("canaryWeight", 0) >= before.get("canaryWeight", 0)
    assert (after.get("currentStep") or 0) >= (before.get("currentStep") or 0)
    st = await rollout.until("promoted after the restart", stable_is("iris-v2"), within=30)
    assert [h["outcome"] for h in st["history"]].count("Promoted") == 2


async def test_gateway_api_router_weights_the_httproute(rollout: Rollout) -> None:
    await serving_v1(rollout, traffic={"router": "gatewayAPI", "parentRefs": [{"name": "public"}],
                                       "hostnames": ["iris.example.com"]})
    await rollout.version("iris-v2")
    await rollout.pin("iris-v2")
    weights = set()

    async def route_weights() -> bool:
        route = await rollout.sandbox.kube.get(HTTPROUTES, NS, "iris")
        refs = route["spec"]["rules"][0]["backendRefs"]
        weights.add(tuple(r["weight"] for r in refs))
        return stable_is("iris-v2")(await rollout.status())

    await rollout.sandbox.wait_for(route_weights, timeout=20, interval=0.02, message="promoted via HTTPRoute")
    assert {(75, 25), (50, 50)} <= weights
    svc = await rollout.sandbox.kube.get(SERVICES, NS, "iris-stable")
    assert svc["spec"]["selector"]["modelyard.io/modelversion"] == "iris-v2"
    assert (await rollout.status())["url"] == "http://iris.example.com"


async def test_the_pinned_example_serves_in_the_sandbox(rollout: Rollout) -> None:
    body = yaml.safe_load((ROOT / "examples" / "inferenceservice-pinned.yaml").read_text())
    await rollout.version(body["spec"]["model"]["modelVersion"], metrics={"accuracy": 0.95})
    await rollout.sandbox.kube.create(INFERENCESERVICES, NS, body)
    st = await rollout.until("example healthy", stable_is("iris-v2"))
    assert await rollout.ready_pods("iris-v2") == body["spec"]["predictor"]["replicas"]
    assert condition(st, "Ready") == ("True", "Healthy")


@pytest.mark.parametrize("state", ["healthy", "rolled-back"])
async def test_a_settled_service_makes_no_writes(rollout: Rollout, metrics: DrivenMetrics, state: str) -> None:
    """No hot loop on our own writes: once Healthy (or Stalled after a rollback), nothing is written."""
    await serving_v1(rollout)
    if state == "rolled-back":
        await rollout.version("iris-v2")
        metrics.set(0.9)
        await rollout.pin("iris-v2")
        await rollout.until("rolled back", lambda s: condition(s, "Stalled") == ("True", "RolledBack"))
        await rollout.until("scaled down", lambda s: not s.get("retiring"))
    requests = rollout.sandbox.requests

    def quiet() -> bool:
        writes = [r for r in requests.select(writes_only=True) if r.plural != "events"]
        return not writes or time.monotonic() - writes[-1].at > 1.0
    await rollout.sandbox.wait_for(quiet, message="the last reactions written")
    since = requests.mark()
    await asyncio.sleep(2.0)  # ten resync periods of the operator
    writes = {k: v for k, v in requests.counts(since=since, writes_only=True).items() if k[1] != "events"}
    assert writes == {}, f"writes while settled: {writes}"
