"""The operator workload: one replica with Recreate, or HA with distinct kopf priorities; env mirrors
config.py; CRDs switchable and kept; images default to the appVersion; the Argo CD snippet is shipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.helm.chart import CHART, ROOT, of_kind, render

APP_VERSION = yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]


def container(doc: dict[str, Any]) -> dict[str, Any]:
    (c,) = doc["spec"]["template"]["spec"]["containers"]
    return dict(c)


def env(doc: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(doc)["env"]}


def test_default_is_one_replica_recreated() -> None:
    docs = render()
    (deploy,) = of_kind(docs, "Deployment")
    assert of_kind(docs, "StatefulSet") == []
    assert deploy["spec"]["replicas"] == 1
    assert deploy["spec"]["strategy"] == {"type": "Recreate"}
    assert env(deploy)["MODELYARD_PEERING"] == "false"
    assert "MODELYARD_PRIORITY" not in env(deploy)
    assert of_kind(docs, "ClusterKopfPeering") == []


def test_ha_gives_every_replica_a_distinct_priority() -> None:
    docs = render(CHART / "ci" / "ha-values.yaml")
    assert of_kind(docs, "Deployment") == []
    (sts,) = of_kind(docs, "StatefulSet")
    assert sts["spec"]["replicas"] == 3
    e = env(sts)
    assert e["MODELYARD_PEERING"] == "true"
    assert e["MODELYARD_PEERING_NAME"] == "modelyard-ha"
    assert e["MODELYARD_PRIORITY"] == {"fieldRef": {"fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"}}
    (peering,) = of_kind(docs, "ClusterKopfPeering")
    assert peering["metadata"]["name"] == "modelyard-ha"
    kopf_crds = {d["metadata"]["name"] for d in of_kind(docs, "CustomResourceDefinition")}
    assert {"clusterkopfpeerings.kopf.dev", "kopfpeerings.kopf.dev"} <= kopf_crds
    (pdb,) = of_kind(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"] == sts["spec"]["selector"]


def test_namespaced_ha_has_a_peering_per_namespace() -> None:
    docs = render(CHART / "ci" / "namespaced-values.yaml")
    assert sorted(p["metadata"]["namespace"] for p in of_kind(docs, "KopfPeering")) == ["team-a", "team-b"]
    (sts,) = of_kind(docs, "StatefulSet")
    assert env(sts)["MODELYARD_NAMESPACES"] == "team-a,team-b"


def test_operator_args() -> None:
    (deploy,) = of_kind(render(), "Deployment")
    assert container(deploy)["args"] == ["run", "--liveness-port=8081"]


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        ((), {"trainingjobs.modelyard.io": "keep", "modelversions.modelyard.io": "keep",
              "inferenceservices.modelyard.io": "keep"}),
        (("crds.keep=false",), {"trainingjobs.modelyard.io": "", "modelversions.modelyard.io": "",
                                "inferenceservices.modelyard.io": ""}),
        (("crds.install=false",), {}),
    ],
    ids=["installed-and-kept", "not-kept", "not-installed"],
)
def test_crds_switches(sets: tuple[str, ...], expected: dict[str, str]) -> None:
    crds = [d for d in of_kind(render(None, *sets), "CustomResourceDefinition")
            if d["spec"]["group"] == "modelyard.io"]
    assert {c["metadata"]["name"]: c["metadata"]["annotations"]["helm.sh/resource-policy"] for c in crds} == expected


def test_chart_crds_are_the_generated_ones() -> None:
    crds = {d["metadata"]["name"]: d for d in of_kind(render(), "CustomResourceDefinition")}
    for path in sorted((ROOT / "crds").glob("*.yaml")):
        generated = yaml.safe_load(path.read_text())
        shipped = crds[generated["metadata"]["name"]]
        assert shipped["spec"] == generated["spec"]


@pytest.mark.parametrize(
    ("values", "operator", "server"),
    [
        (None, f"ghcr.io/modelyard/modelyard:{APP_VERSION}", f"ghcr.io/modelyard/modelyard:{APP_VERSION}"),
        (CHART / "ci" / "full-values.yaml",
         "registry.example.com/platform/modelyard@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         "registry.example.com/platform/modelyard-server:0.1.0"),
    ],
    ids=["app-version", "digest-and-registry"],
)
def test_images(values: Path | None, operator: str, server: str) -> None:
    (deploy,) = of_kind(render(values), "Deployment")
    assert container(deploy)["image"] == operator
    assert env(deploy)["MODELYARD_SERVING_IMAGE"] == server


def test_helm_test_hook_checks_healthz_through_the_service() -> None:
    docs = render()
    (pod,) = of_kind(docs, "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    (svc,) = [s for s in of_kind(docs, "Service") if s["metadata"]["name"] == "modelyard"]
    assert {"name": "healthz", "port": 8081, "targetPort": "healthz", "protocol": "TCP"} in svc["spec"]["ports"]
    assert "http://modelyard.modelyard-system.svc:8081/healthz" in pod["spec"]["containers"][0]["command"][2]


def test_argocd_patch_is_shipped_and_matches_the_example() -> None:
    (cm,) = [d for d in of_kind(render(CHART / "ci" / "full-values.yaml"), "ConfigMap")
             if d["metadata"]["name"].endswith("argocd-cm-patch")]
    patch = yaml.safe_load(cm["data"]["patch.yaml"])
    example = yaml.safe_load((ROOT / "examples" / "gitops" / "argocd" / "argocd-cm-patch.yaml").read_text())
    assert patch == example, "regenerate with `modelyard crds`"
    for kind in ("TrainingJob", "ModelVersion", "InferenceService"):
        lua = (CHART / "files" / "health" / f"{kind.lower()}.lua").read_text()
        assert patch["data"][f"resource.customizations.health.modelyard.io_{kind}"] == lua
