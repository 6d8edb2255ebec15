"""The operator killed at random points across real work: a canary that promotes, one that fails, a training
run. Every run ends in its right final state, nothing is duplicated, traffic never reaches a rejected
version, stable always has ready pods.

A kill is ``SandboxCluster.restart_operator()``: the operator's thread, event loop, kopf and API client go
and a fresh one starts, with nothing kept in memory. Kill delays come from ``random.Random(seed)``; the seed
is printed (``MODELYARD_FAULT_SEED`` replays a run).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from modelyard.adapters.kube import HTTPROUTES, INFERENCESERVICES, MODELVERSIONS, SERVICES, TRAININGJOBS
from modelyard.sandbox.controllers import Outcome
from tests.integration.conftest import SandboxHandle
from tests.integration.rollout.conftest import (  # noqa: F401 (fixtures)
    ENDPOINTS,
    NS,
    DrivenMetrics,
    Rollout,
    condition,
    inferenceservice,
    metrics,
    modelversion,
    rollout,
)
from tests.integration.rollout.test_rollout_sandbox import stable_is

SEED = int(os.environ.get("MODELYARD_FAULT_SEED", "20261122"))
KILLS = 6
KILL_DELAY = (0.15, 0.9)  # seconds between kills
GATEWAY = {"router": "gatewayAPI", "parentRefs": [{"name": "public"}]}


@dataclass
class Killer:
    """Restarts the operator ``KILLS`` times at seeded random delays, in the background."""

    sandbox: SandboxHandle
    rng: random.Random
    kills: int = 0
    delays: list[float] = field(default_factory=list)

    async def run(self) -> None:
        for _ in range(KILLS):
            delay = round(self.rng.uniform(*KILL_DELAY), 3)
            self.delays.append(delay)
            await asyncio.sleep(delay)
            await self.sandbox.cluster.restart_operator()
            self.kills += 1


@dataclass
class TrafficSampler:
    """Samples, until stopped, whether a rejected version gets traffic and whether stable has ready pods.

    The status is read before the route: the operator moves the route before it writes ``rejected``, so a
    version already in ``rejected`` must already have weight 0.
    """

    sandbox: SandboxHandle
    samples: int = 0
    rejected_with_traffic: list[tuple[str, int]] = field(default_factory=list)
    stable_unready: int = 0
    canary_weights: set[int] = field(default_factory=set)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.sample()
            await asyncio.sleep(0.02)

    async def sample(self) -> None:
        kube = self.sandbox.kube
        status = (await kube.get(INFERENCESERVICES, NS, "iris")).get("status") or {}
        route = await kube.get_or_none(HTTPROUTES, NS, "iris")
        for ref in (route or {}).get("spec", {}).get("rules", [{}])[0].get("backendRefs") or []:
            version = await self._version_behind(ref["name"])
            if ref["name"] == "iris-canary":
                self.canary_weights.add(ref["weight"])
            if ref["weight"] > 0 and version in (status.get("rejected") or []):
                self.rejected_with_traffic.append((version, ref["weight"]))
        ep = await kube.get_or_none(ENDPOINTS, NS, "iris-stable")
        self.stable_unready += not sum(len(s.get("addresses") or []) for s in (ep or {}).get("subsets") or [])
        self.samples += 1

    async def _version_behind(self, service: str) -> str:
        svc = await self.sandbox.kube.get_or_none(SERVICES, NS, service)
        return str(((svc or {}).get("spec", {}).get("selector") or {}).get("modelyard.io/modelversion", ""))


async def under_kills(sandbox: SandboxHandle, work: Callable[[], Awaitable[Any]], sampler: TrafficSampler | None,
                      label: str) -> tuple[Any, Killer]:
    """Run ``work`` while the operator is killed ``KILLS`` times (and ``sampler`` samples)."""
    killer = Killer(sandbox, random.Random(f"{SEED}-{label}"))
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop)) if sampler else None
    killing = asyncio.create_task(killer.run())
    try:
        result = await work()
        await killing
        result = await work()  # the final state holds after the last kill too
    finally:
        stop.set()
        killing.cancel()
        if sampling:
            await sampling
    assert sandbox.cluster.operator_running
    return result, killer


def summary(label: str, killer: Killer, checked: int, sampler: TrafficSampler | None = None) -> None:
    extra = f" samples={sampler.samples}" if sampler else ""
    print(f"\nkill summary [{label}] seed={SEED}: runs=1 kills={killer.kills} delays={killer.delays} "
          f"final states checked={checked}{extra}")


async def serving_v1(r: Rollout, model: dict[str, Any]) -> None:
    await r.version("iris-v1")
    await r.sandbox.kube.create(INFERENCESERVICES, NS, inferenceservice(model, traffic=GATEWAY))
    await r.until("v1 healthy", stable_is("iris-v1"))


async def test_promoting_canary_survives_kills(rollout: Rollout, metrics: DrivenMetrics) -> None:  # noqa: F811
    await serving_v1(rollout, {"modelVersion": "iris-v1"})
    sampler = TrafficSampler(rollout.sandbox)
    await rollout.version("iris-v2")
    await rollout.pin("iris-v2")
    st, killer = await under_kills(rollout.sandbox, lambda: rollout.until("v2 promoted", stable_is("iris-v2"),
                                                                          within=40), sampler, "promote")
    assert [h["outcome"] for h in st["history"]].count("Promoted") == 2, st["history"]  # first deploy + v2
    assert condition(st, "Ready") == ("True", "Healthy") and not st.get("rejected")
    assert await rollout.ready_pods("iris-v2") == 3
    assert sampler.stable_unready == 0, f"{sampler.stable_unready}/{sampler.samples} samples without stable pods"
    assert {25, 50} <= sampler.canary_weights, "sampled across the steps"
    summary("canary-promoted", killer, checked=4, sampler=sampler)


async def test_failing_canary_survives_kills(rollout: Rollout, metrics: DrivenMetrics) -> None:  # noqa: F811
    await serving_v1(rollout, {"track": {"model": "iris"}})
    sampler = TrafficSampler(rollout.sandbox)
    metrics.set(0.5)  # over the 5% error-rate threshold
    await rollout.sandbox.kube.create(MODELVERSIONS, NS, modelversion("iris-v2"))

    def rolled_back(s: dict[str, Any]) -> bool:
        return condition(s, "Stalled") == ("True", "RolledBack") and "canary" not in s

    st, killer = await under_kills(rollout.sandbox, lambda: rollout.until("v2 rolled back", rolled_back, within=40),
                                   sampler, "rollback")
    await sampler.sample()  # once more, settled
    assert st["rejected"] == ["iris-v2"] and st["stable"]["modelVersion"] == "iris-v1"
    assert [h["outcome"] for h in st["history"]].count("RolledBack") == 1, st["history"]
    assert st.get("canaryWeight", 0) == 0 and condition(st, "Ready")[0] == "False"
    assert sampler.rejected_with_traffic == [], sampler.rejected_with_traffic[:5]
    assert sampler.stable_unready == 0, f"{sampler.stable_unready}/{sampler.samples} samples without stable pods"
    assert await rollout.ready_pods("iris-v1") == 3
    assert 25 in sampler.canary_weights, "sampled while the canary took traffic"
    summary("canary-rolled-back", killer, checked=5, sampler=sampler)


TRAINER = "ghcr.io/modelyard/trainers:0.1.0"


def trainingjob(name: str, model: str) -> dict[str, Any]:
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "TrainingJob", "metadata": {"name": name},
            "spec": {"model": model, "image": TRAINER, "version": "v7", "backoffLimit": 0,
                     "output": {"uri": f"s3://models/{model}"}}}


async def test_training_runs_survive_kills(sandbox: SandboxHandle) -> None:
    report = {"artifact": {"uri": "s3://models/kill/v7/model.joblib", "digest": "sha256:" + "5" * 64,
                           "format": "sklearn"}, "metrics": {"accuracy": 0.93}}
    sandbox.behaviours.add(Outcome(exit_code=0, run_seconds=2.0, message=json.dumps(report)),
                           labels={"modelyard.io/trainingjob": "kill-ok"})
    sandbox.behaviours.add(Outcome(exit_code=1, run_seconds=1.5, message="diverged"),
                           labels={"modelyard.io/trainingjob": "kill-fail"})
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("kill-ok", "killok"))
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("kill-fail", "killfail"))

    async def finished() -> dict[str, str]:
        async def phases() -> dict[str, str] | None:
            jobs = {n: await sandbox.kube.get(TRAININGJOBS, NS, n) for n in ("kill-ok", "kill-fail")}
            got = {n: (j.get("status") or {}).get("phase", "") for n, j in jobs.items()}
            return got if got == {"kill-ok": "Succeeded", "kill-fail": "Failed"} else None
        return await sandbox.wait_for(phases, timeout=40, message="both training runs finished")

    _, killer = await under_kills(sandbox, finished, None, "training")
    await asyncio.sleep(0.6)  # a few resyncs after the last kill: a late duplicate would show
    versions = await sandbox.kube.list(MODELVERSIONS, NS)
    by_job = [mv["spec"]["lineage"]["trainingJob"]["name"] for mv in versions]
    assert by_job == ["kill-ok"], [mv["metadata"]["name"] for mv in versions]
    assert versions[0]["spec"]["artifact"]["digest"] == report["artifact"]["digest"]
    ok = await sandbox.kube.get(TRAININGJOBS, NS, "kill-ok")
    assert (condition(ok["status"], "Succeeded") or ("",))[0] == "True"
    summary("training", killer, checked=3)

