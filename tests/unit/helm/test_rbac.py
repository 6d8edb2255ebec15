"""RBAC: no wildcards, exactly the verbs the operator uses, cluster-wide or per watched namespace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.helm.chart import CHART, NAMESPACE, VALUES, VALUES_IDS, of_kind, render

Grant = tuple[str, str, str]  # (apiGroup, resource, verb)

CHILDREN_RW = {"get", "list", "watch", "create", "patch", "delete"}
READ = {"get", "list", "watch"}
#: What the operator does in a namespace it watches, and why.
NAMESPACED: dict[tuple[str, str], set[str]] = {
    ("modelyard.io", "trainingjobs"): READ | {"patch", "update", "delete"},  # delete: ttlSecondsAfterFinished
    ("modelyard.io", "modelversions"): READ | {"patch", "update", "create"},  # create: a TrainingJob registers
    ("modelyard.io", "inferenceservices"): READ | {"patch", "update"},
    ("modelyard.io", "trainingjobs/status"): {"get", "patch", "update"},
    ("modelyard.io", "modelversions/status"): {"get", "patch", "update"},
    ("modelyard.io", "inferenceservices/status"): {"get", "patch", "update"},
    ("", "events"): {"create"},
    ("batch", "jobs"): CHILDREN_RW,
    ("apps", "deployments"): CHILDREN_RW,
    ("apps", "replicasets"): READ,
    ("", "services"): CHILDREN_RW,
    ("", "configmaps"): CHILDREN_RW,
    ("", "pods"): READ,
    # a TrainingJob waits (MissingReference) until what its pods reference exists: existence checks only
    ("", "secrets"): {"get"},
    ("", "persistentvolumeclaims"): {"get"},
    ("", "serviceaccounts"): {"get"},
    ("autoscaling", "horizontalpodautoscalers"): CHILDREN_RW,
    ("gateway.networking.k8s.io", "httproutes"): CHILDREN_RW,
}
KOPF_CLUSTER = {("", "namespaces"): {"list", "watch"},
                ("apiextensions.k8s.io", "customresourcedefinitions"): READ}
PEERING_VERBS = READ | {"patch"}


def grants(rules: list[dict[str, Any]]) -> set[Grant]:
    return {(g, r, v) for rule in rules for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}


def expand(table: dict[tuple[str, str], set[str]]) -> set[Grant]:
    return {(g, r, v) for (g, r), verbs in table.items() for v in verbs}


@pytest.mark.parametrize("values", VALUES, ids=VALUES_IDS)
def test_no_wildcards(values: Path | None) -> None:
    for role in of_kind(render(values), "ClusterRole") + of_kind(render(values), "Role"):
        for rule in role["rules"]:
            assert "nonResourceURLs" not in rule
            for field in ("apiGroups", "resources", "verbs"):
                assert not any("*" in item for item in rule[field]), (role["metadata"]["name"], rule)


@pytest.mark.parametrize("ha", [False, True], ids=["single", "ha"])
def test_cluster_wide_install_grants_exactly_what_is_used(ha: bool) -> None:
    docs = render(None, f"ha.enabled={str(ha).lower()}")
    assert of_kind(docs, "Role") == []
    (role,) = of_kind(docs, "ClusterRole")
    expected = expand(NAMESPACED) | expand(KOPF_CLUSTER)
    if ha:
        expected |= expand({("kopf.dev", "clusterkopfpeerings"): PEERING_VERBS})
    assert grants(role["rules"]) == expected
    (binding,) = of_kind(docs, "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "modelyard", "namespace": NAMESPACE}]


def test_namespaced_install_grants_roles_in_the_watched_namespaces_only() -> None:
    docs = render(CHART / "ci" / "namespaced-values.yaml")
    roles = of_kind(docs, "Role")
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["team-a", "team-b"]
    for role in roles:
        assert grants(role["rules"]) == expand(NAMESPACED) | expand({("kopf.dev", "kopfpeerings"): PEERING_VERBS})
    (cluster_role,) = of_kind(docs, "ClusterRole")
    assert grants(cluster_role["rules"]) == expand(
        {("apiextensions.k8s.io", "customresourcedefinitions"): READ})
    bindings = of_kind(docs, "RoleBinding")
    assert sorted((b["metadata"]["namespace"], b["roleRef"]["kind"]) for b in bindings) == [
        ("team-a", "Role"), ("team-b", "Role")]


def test_rbac_off_renders_no_rbac() -> None:
    docs = render(CHART / "ci" / "minimal-values.yaml")
    kinds = {d["kind"] for d in docs}
    assert kinds.isdisjoint({"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"})
