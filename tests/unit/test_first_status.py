"""The first status any kind gets, and InvalidSpec for what the schema could not catch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from modelyard.api import KINDS, InferenceService, ModelVersion, TrainingJob
from modelyard.controller.first_status import calculate_first_status

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DIGEST = "sha256:" + "a" * 64
VALID: dict[str, dict[str, Any]] = {
    "TrainingJob": {"model": "iris", "image": "trainer:1"},
    "ModelVersion": {"model": "iris", "version": "v1",
                     "artifact": {"uri": "file:///m/model.joblib", "digest": DIGEST, "format": "sklearn"}},
    "InferenceService": {"model": {"modelVersion": "iris-v1"}},
}


def body(kind: str, spec: dict[str, Any], generation: int = 1, status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": kind,
            "metadata": {"name": "x", "namespace": "default", "generation": generation},
            "spec": spec, **({"status": status} if status else {})}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.crd.kind)
def test_first_visit_writes_observed_generation_and_reconciling(kind: Any) -> None:
    patch = calculate_first_status(kind, body(kind.crd.kind, VALID[kind.crd.kind], generation=3), NOW)
    assert patch["observedGeneration"] == 3
    conds = {c["type"]: c for c in patch["conditions"]}
    assert conds["Ready"]["status"] == "Unknown"
    assert conds["Reconciling"]["status"] == "True"
    assert "Stalled" not in conds


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.crd.kind)
def test_second_visit_changes_nothing(kind: Any) -> None:
    b = body(kind.crd.kind, VALID[kind.crd.kind])
    first = calculate_first_status(kind, b, NOW)
    b["status"] = first
    assert calculate_first_status(kind, b, NOW.replace(hour=13)) == {}


@pytest.mark.parametrize(
    ("kind", "spec", "field"),
    [
        (TrainingJob, {"model": "iris", "image": "t", "workers": 0}, "spec.workers"),
        (ModelVersion, {"model": "iris", "version": "v1", "artifact": {"uri": "ftp://x", "digest": DIGEST,
                                                                       "format": "sklearn"}}, "spec.artifact.uri"),
        (InferenceService, {"model": {}}, "spec.model"),
    ],
    ids=["workers-zero", "bad-scheme", "no-model-source"],
)
def test_invalid_spec_is_stalled_naming_the_field(kind: Any, spec: dict[str, Any], field: str) -> None:
    patch = calculate_first_status(kind, body(kind.crd.kind, spec), NOW)
    conds = {c["type"]: c for c in patch["conditions"]}
    assert conds["Stalled"]["status"] == "True"
    assert conds["Stalled"]["reason"] == "InvalidSpec"
    assert conds["Ready"]["status"] == "False"
    assert field in conds["Stalled"]["message"]
