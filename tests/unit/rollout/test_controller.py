"""The controller against a fake API and a fake provider: observe -> decide -> execute, tick by tick."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from modelyard.adapters.kube import DEPLOYMENTS, HTTPROUTES, MODELVERSIONS, SERVICES, KubeClient
from modelyard.adapters.traffic import GatewayAPIRouter, ReplicaRatioRouter
from modelyard.api.inferenceservice import InferenceServiceStatus
from modelyard.controller.execute import execute
from modelyard.controller.inferenceservice import (
    Deps,
    build_routing,
    is_pinnable,
    pod_url,
    reconcile_inferenceservice,
    run_pass,
)
from modelyard.controller.wakeups import model_topic
from modelyard.core.registry import VersionRecord, record_from_body

from .fakes import FakeKube, FakeProvider, merge

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NS = "ml"
DIGEST = "sha256:" + "c" * 64
STEPS = [{"setWeight": 25}, {"pause": {"duration": "1m"}}, {"setWeight": 50}, {"pause": {"duration": "1m"}}]
ANALYSIS = {"interval": "30s", "metrics": [{"name": "errors", "threshold": {"max": 0.05},
                                            "provider": {"builtin": {"metric": "errorRate"}}}]}
GATEWAY = {"router": "gatewayAPI", "parentRefs": [{"name": "public"}]}


class Harness:
    def __init__(self, **spec: Any) -> None:
        self.kube, self.provider, self.now = FakeKube(), FakeProvider(), T0
        self.index: dict[tuple[str, str], list[VersionRecord]] = {}
        self.body: dict[str, Any] = {
            "apiVersion": "modelyard.io/v1alpha1", "kind": "InferenceService",
            "metadata": {"name": "iris", "namespace": NS, "uid": "u-1", "generation": 1, "annotations": {}},
            "spec": {"predictor": {"replicas": 4}, "rollout": {"steps": STEPS, "scaleDownDelay": "30s"},
                     "analysis": ANALYSIS, **spec}}
        self.failing: dict[str, str] = {}
        self.min_stable_ready: int | None = None

    def deps(self) -> Deps:  # a new one per tick: nothing survives in memory but the stored status
        return Deps(kube=cast(KubeClient, self.kube), image="img:1", providers=lambda _m: self.provider,
                    routers=None, index=self.index)

    def version(self, name: str, day: int = 1, **metrics: float) -> None:
        body = {"apiVersion": "modelyard.io/v1alpha1", "kind": "ModelVersion",
                "metadata": {"name": name, "namespace": NS, "uid": f"u-{name}",
                             "creationTimestamp": f"2026-03-0{day}T00:00:00Z"},
                "spec": {"model": "iris", "version": name.split("-")[-1], "metrics": metrics,
                         "artifact": {"uri": f"file:///m/{name}", "digest": DIGEST, "format": "sklearn"}},
                "status": {"phase": "Ready"}}
        self.kube.put(MODELVERSIONS, body)
        record = record_from_body(body)
        assert record is not None
        self.index.setdefault((NS, "iris"), []).append(record)

    def edit(self, **spec: Any) -> None:
        merge(self.body["spec"], spec)
        self.body["metadata"]["generation"] += 1

    async def tick(self, seconds: float = 0) -> dict[str, Any]:
        self.now += timedelta(seconds=seconds)
        self.last = await run_pass(copy.deepcopy(self.body), self.deps(), self.now)
        await execute(cast(KubeClient, self.kube), self.body, self.last.events, self.now)
        patch = self.last.patch
        merge(self.body.setdefault("status", {}), patch)
        self.kube.sync_pods(NS, failing=self.failing)
        if self.status.stable is not None:
            ready = self.kube.ready_pods(NS, self.status.stable.model_version)
            self.min_stable_ready = ready if self.min_stable_ready is None else min(self.min_stable_ready, ready)
        return patch

    @property
    def status(self) -> InferenceServiceStatus:
        return InferenceServiceStatus.model_validate(self.body.get("status", {}))

    async def weight(self) -> int | None:
        routing = build_routing(self.body, _spec(self.body), self.status)
        router = GatewayAPIRouter if self.body["spec"].get("traffic") else ReplicaRatioRouter
        return await router(cast(KubeClient, self.kube)).observe_weight(routing)

    def replicas(self, version: str) -> int | None:
        d = self.kube.objects.get(("deployments", NS, f"iris-{version}"))
        return None if d is None else int(d["spec"]["replicas"])


def _spec(body: dict[str, Any]) -> Any:
    from modelyard.api.inferenceservice import InferenceServiceSpec

    return InferenceServiceSpec.model_validate(body["spec"])


async def serving_v1(**spec: Any) -> Harness:
    h = Harness(model={"modelVersion": "iris-v1"}, **spec)
    h.version("iris-v1")
    await h.tick()
    await h.tick(1)
    assert h.status.phase == "Healthy", h.status.message
    return h


async def run_canary(h: Harness, ticks: int = 12) -> list[int | None]:
    h.version("iris-v2", day=2)
    h.edit(model={"modelVersion": "iris-v2"})
    weights = []
    for _ in range(ticks):
        await h.tick(30)
        weights.append(await h.weight())
        if h.status.canary is None:
            break
    return weights


async def test_first_deploy_creates_the_serving_objects() -> None:
    h = await serving_v1()
    assert h.replicas("iris-v1") == 4 and ("services", NS, "iris") in h.kube.objects
    assert h.status.url == "http://iris.ml.svc.cluster.local" and h.status.observed_generation == 1
    assert await h.tick(5) == {}, "nothing changed: no status write"


async def test_replica_ratio_promotion_keeps_stable_endpoints() -> None:
    h = await serving_v1()
    h.provider.set("errors", 0.0)
    weights = await run_canary(h)
    # 1 canary pod beside 4 stable (stable shrinks only once it is ready), then 1 of 4, then 2 of 5
    assert weights[:4] == [20, 25, 25, 40]
    assert h.status.stable is not None and h.status.stable.model_version == "iris-v2"
    assert h.min_stable_ready is not None and h.min_stable_ready >= 1
    assert h.replicas("iris-v2") == 4
    await h.tick(31)
    assert h.replicas("iris-v1") is None, "old stable deleted after the scale-down delay"
    assert all(target.canary_version == "iris-v2" and target.canary_pod_urls for _, target in h.provider.calls)


async def test_replica_ratio_rollback_takes_canary_pods_out_at_once() -> None:
    h = await serving_v1()
    h.provider.set("errors", 0.5)
    await run_canary(h)
    st = h.status
    assert st.canary is None and st.rejected == ["iris-v2"] and st.phase == "Degraded"
    assert h.replicas("iris-v2") == 0 and h.replicas("iris-v1") == 4
    assert h.min_stable_ready is not None and h.min_stable_ready >= 1
    assert await h.weight() == 0
    events = [o["reason"] for (p, _, _), o in h.kube.objects.items() if p == "events"]
    assert "RolledBack" in events


async def test_gateway_router_moves_route_weights_and_drains_after_rollback() -> None:
    h = await serving_v1(traffic=GATEWAY)
    h.provider.set("errors", 0.0)
    await h.tick()
    route = h.kube.objects[("httproutes", NS, "iris")]
    assert [r["weight"] for r in route["spec"]["rules"][0]["backendRefs"]] == [100, 0]
    weights = await run_canary(h)
    assert [w for i, w in enumerate(weights) if i == 0 or w != weights[i - 1]][:3] == [0, 25, 50]
    assert h.status.stable is not None and h.status.stable.model_version == "iris-v2"
    assert h.kube.objects[("services", NS, "iris-stable")]["spec"]["selector"]["modelyard.io/modelversion"] == "iris-v2"
    h.provider.set("errors", 0.9)
    h.version("iris-v3", day=3)
    h.edit(model={"modelVersion": "iris-v3"})
    for _ in range(3):
        await h.tick(30)
    assert h.status.canary is None and await h.weight() == 0
    assert h.replicas("iris-v3") == 1, "gateway: traffic left at once, pods drain until the delay"
    await h.tick(31)
    assert h.replicas("iris-v3") is None


async def test_crash_looping_canary_fails_at_once() -> None:
    h = await serving_v1()
    h.failing["iris-v2"] = "CrashLoopBackOff"
    h.provider.set("errors", 0.0)
    await run_canary(h, ticks=3)
    assert h.status.rejections[0].measurements[0].metric == "canaryPods"
    assert "CrashLoopBackOff" in h.status.rejections[0].message


async def test_a_provider_that_raises_is_an_error_measurement() -> None:
    h = await serving_v1()

    class Broken:
        async def measure(self, *_: Any) -> Any:
            raise RuntimeError("boom")

    h.version("iris-v2", day=2)
    h.edit(model={"modelVersion": "iris-v2"})
    await h.tick(1)
    await h.tick(1)
    deps = h.deps()
    deps.providers = lambda _m: Broken()
    patch = await reconcile_inferenceservice(copy.deepcopy(h.body), deps, h.now + timedelta(seconds=31))
    metrics = patch["analysis"]["metrics"]
    assert metrics[0]["errors"] == 1 and "RuntimeError: boom" in metrics[0]["last"]["message"]


async def test_tracked_model_picks_up_a_new_version_on_its_own() -> None:
    h = Harness(model={"track": {"model": "iris"}})
    h.version("iris-v1")
    await h.tick()
    assert h.status.stable is not None and h.status.stable.model_version == "iris-v1"
    assert not h.last.settled, "pods not ready yet: looked at again within the poll"
    await h.tick(1)
    assert h.status.phase == "Healthy" and h.last.settled and h.last.next_pass is None, "settled: nothing due"
    assert model_topic(NS, "iris") in h.last.topics, "woken by a new version of its model"
    h.version("iris-v2", day=2)
    await h.tick(1)
    assert h.status.canary is not None and h.status.canary.model_version == "iris-v2"


async def test_invalid_spec_is_stalled_naming_the_field() -> None:
    h = Harness(model={"modelVersion": "iris-v1"}, rollout={"steps": [{"setWeight": 20, "pause": {}}]})
    patch = await h.tick()
    stalled = next(c for c in patch["conditions"] if c["type"] == "Stalled")
    assert stalled["reason"] == "InvalidSpec" and "spec.rollout.steps.0" in stalled["message"]
    assert h.last.settled and h.last.next_pass is None, "nothing due until the spec changes"


@pytest.mark.parametrize("stop_after", range(1, 7), ids=lambda n: f"restart-after-{n}-ticks")
async def test_restart_mid_rollout_resumes_without_going_back(stop_after: int) -> None:
    h = await serving_v1()
    h.provider.set("errors", 0.0)
    h.version("iris-v2", day=2)
    h.edit(model={"modelVersion": "iris-v2"})
    for _ in range(stop_after - 1):
        await h.tick(30)
    h.now += timedelta(seconds=30)
    merge(h.body["status"], await reconcile_inferenceservice(copy.deepcopy(h.body), h.deps(), h.now))
    before = h.status
    # killed right after that status write: a new process sees the same world at the same instant
    merge(h.body["status"], await reconcile_inferenceservice(copy.deepcopy(h.body), h.deps(), h.now))
    after = h.status
    assert (after.current_step, after.canary_weight) == (before.current_step, before.canary_weight)
    assert after.analysis is not None
    counted = sum(m.successful + m.failed + m.inconclusive + m.errors for m in after.analysis.metrics)
    assert counted == len(h.provider.calls), "every measurement counted exactly once"
    assert await reconcile_inferenceservice(copy.deepcopy(h.body), h.deps(), h.now) == {}


async def test_routes_and_services_are_owned_by_the_service() -> None:
    h = await serving_v1(traffic=GATEWAY)
    for ref, name in ((SERVICES, "iris-canary"), (HTTPROUTES, "iris"), (DEPLOYMENTS, "iris-iris-v1")):
        obj = await h.kube.get(ref, NS, name)
        assert obj["metadata"]["ownerReferences"][0]["uid"] == "u-1"


@pytest.mark.parametrize(
    ("phase", "stalled", "deleting", "pinnable"),
    [("Ready", False, False, True), ("Rejected", True, False, True), ("Ready", True, False, False),
     ("Pending", False, False, False), (None, False, False, False), ("Ready", False, True, False),
     ("Retired", True, False, False)],
    ids=["ready", "rejected-explicitly-pinned", "duplicate", "pending", "no-status", "deleting", "retired"],
)
def test_pinnable(phase: str | None, stalled: bool, deleting: bool, pinnable: bool) -> None:
    record = VersionRecord(name="v", namespace=NS, uid="", model="iris", version="v", created="", uri="file:///m",
                           digest=DIGEST, format="sklearn", phase=phase, stalled=stalled, deleting=deleting)
    assert is_pinnable(record) is pinnable


@pytest.mark.parametrize(
    ("annotations", "url"),
    [({}, "http://10.0.0.9:8080"), ({"sandbox.modelyard.io/ports": '{"8080": 41234}'}, "http://10.0.0.9:41234"),
     ({"sandbox.modelyard.io/ports": "garbage"}, "http://10.0.0.9:8080")],
    ids=["cluster", "sandbox-local-runtime", "unreadable-mapping"],
)
def test_pod_url(annotations: dict[str, str], url: str) -> None:
    assert pod_url({"metadata": {"annotations": annotations}, "status": {"podIP": "10.0.0.9"}}, 8080) == url


async def test_converged_children_are_not_written_again_until_they_drift() -> None:
    h = await serving_v1()
    h.kube.writes.clear()
    await h.tick(5)
    await h.tick(5)
    assert [w for w in h.kube.writes if w[0] == "apply"] == [], "nothing changed: no apply"
    h.kube.objects[("deployments", NS, "iris-iris-v1")]["spec"]["replicas"] = 1  # someone scaled it by hand
    await h.tick(5)
    assert ("apply", "deployments", "iris-iris-v1") in h.kube.writes
    assert h.kube.objects[("deployments", NS, "iris-iris-v1")]["spec"]["replicas"] == 4, "drift undone"


async def test_removing_autoscaling_deletes_the_hpa() -> None:
    h = Harness(model={"modelVersion": "iris-v1"}, predictor={"autoscaling": {"minReplicas": 1, "maxReplicas": 5}})
    h.version("iris-v1")
    await h.tick()
    await h.tick(1)
    assert ("horizontalpodautoscalers", NS, "iris") in h.kube.objects
    h.edit(predictor={"autoscaling": None})
    await h.tick(1)
    assert ("horizontalpodautoscalers", NS, "iris") not in h.kube.objects
    h.kube.writes.clear()
    await h.tick(1)
    assert not [w for w in h.kube.writes if w[1] == "horizontalpodautoscalers"], "deleted once, not every pass"
