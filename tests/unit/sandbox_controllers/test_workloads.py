"""Pure decisions of the ReplicaSet, Deployment and Endpoints controllers, and pod behaviour rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from modelyard.sandbox.controllers.behaviour import Outcome, PodBehaviours, default_outcome
from modelyard.sandbox.controllers.deployments import HASH_LABEL, calculate_deployment, pod_template_hash
from modelyard.sandbox.controllers.endpoints import build_endpoints
from modelyard.sandbox.controllers.replicasets import calculate_replicaset

T0 = datetime(2026, 1, 1, tzinfo=UTC)
READY = [{"type": "Ready", "status": "True"}]


def pod(name: str, phase: str = "Running", ready: bool = True, labels: dict[str, str] | None = None,
        ip: str = "10.0.0.9") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns", "labels": labels or {"app": "a"}, "uid": name},
            "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": phase, "podIP": ip, "conditions": READY if ready else []}}


@pytest.mark.parametrize(
    ("replicas", "pods", "creates", "deletes", "ready"),
    [
        (2, [], 2, [], 0),
        (1, [pod("a"), pod("b", ready=False)], 0, ["b"], 1),
        (2, [pod("a"), pod("f", phase="Failed")], 1, ["f"], 1),
        (0, [pod("a"), pod("p", phase="Pending", ready=False)], 0, ["p", "a"], 0),
    ],
    ids=["scale-up", "scale-down-not-ready-first", "replace-terminal", "scale-to-zero-pending-first"],
)
def test_calculate_replicaset(replicas: int, pods: list[dict[str, Any]], creates: int, deletes: list[str],
                              ready: int) -> None:
    rs = {"metadata": {"name": "rs", "namespace": "ns", "uid": "u"}, "spec": {"replicas": replicas, "template": {}}}
    plan = calculate_replicaset(rs, pods)
    assert len(plan.create) == creates and len({p["metadata"]["name"] for p in plan.create}) == creates
    assert plan.delete == deletes
    assert plan.status["readyReplicas"] == ready


def deployment(replicas: int, image: str, strategy: str = "RollingUpdate") -> dict[str, Any]:
    return {"metadata": {"name": "d", "namespace": "ns", "uid": "du", "generation": 2},
            "spec": {"replicas": replicas, "strategy": {"type": strategy}, "selector": {"matchLabels": {"app": "a"}},
                     "template": {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"image": image}]}}}}


def replicaset(dep: dict[str, Any], spec_replicas: int, available: int, revision: int) -> dict[str, Any]:
    h = pod_template_hash(dep["spec"]["template"])
    return {"metadata": {"name": f"d-{h}", "annotations": {"deployment.kubernetes.io/revision": str(revision)}},
            "spec": {"replicas": spec_replicas},
            "status": {"replicas": spec_replicas, "availableReplicas": available, "readyReplicas": available}}


@pytest.mark.parametrize(
    ("strategy", "new_available", "old_target", "new_target"),
    [("RollingUpdate", 0, 3, 3), ("RollingUpdate", 2, 1, 3), ("RollingUpdate", 3, 0, 3), ("Recreate", 0, 0, 0)],
    ids=["rolling-surge", "rolling-half", "rolling-done", "recreate-old-first"],
)
def test_calculate_deployment_rollout(strategy: str, new_available: int, old_target: int, new_target: int) -> None:
    old_dep, new_dep = deployment(3, "v1", strategy), deployment(3, "v2", strategy)
    old_rs = replicaset(old_dep, 3, 3, 1)
    existing = [old_rs] if new_available == 0 and strategy == "Recreate" else [
        old_rs, {**replicaset(new_dep, 3, new_available, 2)}]
    plan = calculate_deployment(new_dep, existing, T0)
    final = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in [*existing, *plan.apply]}
    new_name = f"d-{pod_template_hash(new_dep['spec']['template'])}"
    assert (final[old_rs["metadata"]["name"]], final[new_name]) == (old_target, new_target)


def test_new_replicaset_carries_hash_label_revision_and_owner() -> None:
    plan = calculate_deployment(deployment(2, "v1"), [], T0)
    rs = plan.apply[0]
    h = rs["metadata"]["name"].removeprefix("d-")
    assert rs["spec"]["selector"]["matchLabels"][HASH_LABEL] == h
    assert rs["spec"]["template"]["metadata"]["labels"][HASH_LABEL] == h
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    assert {c["type"]: c["status"] for c in plan.status["conditions"]} == {"Available": "False", "Progressing": "True"}


@pytest.mark.parametrize(
    ("pods", "addresses", "not_ready"),
    [([], 0, 0), ([pod("a"), pod("b", ready=False)], 1, 1), ([pod("x", labels={"app": "other"})], 0, 0),
     ([pod("done", phase="Succeeded")], 0, 0)],
    ids=["empty", "ready-and-not", "not-selected", "terminal-excluded"],
)
def test_build_endpoints(pods: list[dict[str, Any]], addresses: int, not_ready: int) -> None:
    svc = {"metadata": {"name": "s", "namespace": "ns"},
           "spec": {"selector": {"app": "a"}, "ports": [{"name": "web", "port": 80, "targetPort": "http"}]}}
    ep = build_endpoints(svc, pods)
    assert ep is not None
    subset = (ep["subsets"] or [{}])[0]
    assert (len(subset.get("addresses", [])), len(subset.get("notReadyAddresses", []))) == (addresses, not_ready)
    if subset:
        assert subset["ports"] == [{"port": 8080, "protocol": "TCP", "name": "web"}]


@pytest.mark.parametrize(("policy", "exit_code"), [("Always", None), ("Never", 0), ("OnFailure", 0)],
                         ids=["always-runs", "never-succeeds", "onfailure-succeeds"])
def test_default_outcome(policy: str, exit_code: int | None) -> None:
    assert default_outcome({"spec": {"restartPolicy": policy}}).exit_code == exit_code


def test_newest_rule_wins_and_times_expire() -> None:
    b = PodBehaviours()
    b.add(Outcome(exit_code=0), labels={"app": "a"})
    b.add(Outcome(exit_code=2), labels={"app": "a"}, times=1)
    first, second = pod("p1"), pod("p2")
    assert b.outcome_for(first).exit_code == 2
    assert b.outcome_for(first).exit_code == 2  # decided once per pod
    assert b.outcome_for(second).exit_code == 0
