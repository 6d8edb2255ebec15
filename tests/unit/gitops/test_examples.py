"""Every GitOps example parses, our objects validate against the API models, built-in objects against
Kubernetes 1.34, and the Argo CD / Flux wiring points at paths that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from modelyard.api import KINDS

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "gitops"
FILES = sorted(EXAMPLES.rglob("*.yaml"))
OURS = {k.crd.kind: k for k in KINDS}
GITOPS_GROUPS = ("argoproj.io/", "source.toolkit.fluxcd.io/", "kustomize.toolkit.fluxcd.io/",
                 "helm.toolkit.fluxcd.io/", "kustomize.config.k8s.io/")


def docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def every_doc() -> list[dict[str, Any]]:
    return [d for p in FILES for d in docs(p) if "kind" in d]


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(EXAMPLES)) for p in FILES])
def test_example_is_valid(path: Path) -> None:
    kv = pytest.importorskip("kubernetes_validate")
    for doc in docs(path):
        if doc.get("kind") in OURS:
            OURS[doc["kind"]].model_validate(doc)
        elif "kind" in doc and not doc.get("apiVersion", "").startswith(GITOPS_GROUPS):
            kv.validate(doc, "1.34.0", strict=True)


def test_flux_waits_on_kstatus_and_orders_operator_before_models() -> None:
    ks = {d["metadata"]["name"]: d["spec"] for d in every_doc() if d["kind"] == "Kustomization"
          and d["apiVersion"].startswith("kustomize.toolkit")}
    assert all(spec["wait"] is True for spec in ks.values())
    assert ks["modelyard-demo"]["dependsOn"] == [{"name": "modelyard-operator"}]
    for spec in ks.values():
        assert (ROOT / spec["path"]).is_dir(), spec["path"]


def test_sources_point_at_paths_that_exist() -> None:
    for d in every_doc():
        if d["kind"] == "Application":
            assert (ROOT / d["spec"]["source"]["path"]).is_dir()
        if d["kind"] == "HelmRelease":
            assert (ROOT / d["spec"]["chart"]["spec"]["chart"] / "Chart.yaml").is_file()


@pytest.mark.parametrize("directory", ["workloads", "flux/operator"])
def test_kustomizations_list_every_file(directory: str) -> None:
    folder = EXAMPLES / directory
    (kustomization,) = docs(folder / "kustomization.yaml")
    assert sorted(kustomization["resources"]) == sorted(
        p.name for p in folder.glob("*.yaml") if p.name != "kustomization.yaml")
