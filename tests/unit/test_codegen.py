"""The generated CRDs: structural, valid for Kubernetes 1.34, in step with the models (drift check)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelyard.api import KINDS
from modelyard.codegen.generate import render_all, stale_files
from modelyard.codegen.schema import build_crd, structural

ROOT = Path(__file__).resolve().parents[2]
CRD_FILES = sorted((ROOT / "crds").glob("*.yaml"))


def structural_problems(node: Any, path: str = "") -> list[str]:
    """The rules of a structural schema (k8s.io/apiextensions-apiserver `structuralschema` validation)."""
    problems = []
    if not isinstance(node, dict):
        return problems
    for banned in ("$ref", "anyOf", "oneOf", "allOf", "definitions", "$defs", "title"):
        if banned in node:
            problems.append(f"{path or '.'}: has {banned}")
    free = node.get("x-kubernetes-preserve-unknown-fields") or node.get("x-kubernetes-int-or-string")
    if "type" not in node and not free:
        problems.append(f"{path or '.'}: has no type")
    if node.get("additionalProperties") is False:
        problems.append(f"{path or '.'}: additionalProperties false")
    if "properties" in node and "additionalProperties" in node:
        problems.append(f"{path or '.'}: both properties and additionalProperties")
    for name, sub in node.get("properties", {}).items():
        problems += structural_problems(sub, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        problems += structural_problems(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        problems += structural_problems(node["additionalProperties"], f"{path}{{}}")
    return problems


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.crd.kind)
def test_schema_is_structural(kind: Any) -> None:
    schema = build_crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert structural_problems(schema) == []


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.crd.kind)
def test_crd_shape(kind: Any) -> None:
    crd = build_crd(kind)
    version = crd["spec"]["versions"][0]
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["spec"]["group"] == "modelyard.io"
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}
    assert crd["spec"]["names"]["categories"] == ["modelyard"]
    assert "isvc" not in crd["spec"]["names"]["shortNames"]  # KServe's
    assert any(c["jsonPath"] == ".metadata.creationTimestamp" for c in version["additionalPrinterColumns"])


def test_every_field_has_a_description() -> None:
    def walk(node: dict[str, Any], path: str) -> list[str]:
        missing = []
        for name, sub in node.get("properties", {}).items():
            if not sub.get("description") and path:
                missing.append(f"{path}.{name}")
            child = sub.get("items", sub) if sub.get("type") == "array" else sub
            missing += walk(child, f"{path}.{name}")
        return missing

    for kind in KINDS:
        schema = build_crd(kind)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        for part in ("spec", "status"):
            assert walk(schema["properties"][part], part) == [], kind.crd.kind


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"anyOf": [{"type": "integer"}, {"type": "string"}]}, {"x-kubernetes-int-or-string": True}),
        ({"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}, {"type": "string"}),
        ({"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]},
         {"x-kubernetes-preserve-unknown-fields": True}),
        ({"type": "object", "additionalProperties": True},
         {"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
        ({"type": "object", "title": "X"}, {"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
        ({"$ref": "#/$defs/A", "description": "d"}, {"type": "string", "description": "d"}),
    ],
    ids=["int-or-string", "optional", "scalar-union", "free-map", "free-object", "ref-inlined"],
)
def test_structural_rules(node: dict[str, Any], expected: dict[str, Any]) -> None:
    assert structural(node, {"A": {"type": "string", "title": "A"}}) == expected


def test_mixed_union_is_refused() -> None:
    with pytest.raises(ValueError, match="structural"):
        structural({"anyOf": [{"type": "object"}, {"type": "string"}]}, {})


def test_generated_files_are_up_to_date() -> None:
    files = render_all(with_chart=(ROOT / "charts/modelyard/Chart.yaml").exists())
    assert stale_files(ROOT, files) == []


def test_check_names_a_hand_edited_file(tmp_path: Path) -> None:
    for rel in ("crds", "docs"):
        shutil.copytree(ROOT / rel, tmp_path / rel)
    if (ROOT / "charts").exists():
        shutil.copytree(ROOT / "charts", tmp_path / "charts")
    cli = [sys.executable, "-m", "modelyard", "crds", "--check", "--root", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "operator")}  # this checkout, not an installed copy
    assert subprocess.run(cli, capture_output=True, text=True, env=env).returncode == 0
    edited = tmp_path / "crds" / "modelversions.yaml"
    edited.write_text(edited.read_text().replace("Version, unique per model.", "hand edit"))
    result = subprocess.run(cli, capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert "crds/modelversions.yaml" in result.stderr
    assert "trainingjobs" not in result.stderr


@pytest.mark.parametrize("path", CRD_FILES, ids=lambda p: p.name)
def test_crd_passes_kubernetes_validate_strict(path: Path) -> None:
    kv = pytest.importorskip("kubernetes_validate")
    for doc in yaml.safe_load_all(path.read_text()):
        kv.validate(doc, "1.34.0", strict=True)
