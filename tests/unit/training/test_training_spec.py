"""What the schema cannot refuse: each problem names its field; names, fingerprints and references."""

from __future__ import annotations

from typing import Any

import pytest

from modelyard.api.trainingjob import TrainingJobSpec
from modelyard.core.training_spec import (
    assess_spec,
    calculate_changed_fields,
    calculate_child_name,
    calculate_references,
    calculate_spec_fingerprint,
)

BASE: dict[str, Any] = {"model": "iris", "image": "trainer:1"}


@pytest.mark.parametrize(
    ("name", "spec", "field"),
    [
        ("Run.1", {}, "spec.version"),
        ("iris", {"env": [{"name": "RANK", "value": "3"}]}, "spec.env[0].name"),
        ("iris", {"env": [{"name": "HP_LR", "value": "3"}]}, "spec.env[0].name"),
        ("iris", {"hyperparameters": {"lr": 1, "LR": 2}}, "spec.hyperparameters.LR"),
        ("iris", {"pod": {"volumes": [{"name": "tmp", "emptyDir": {}}]}}, "spec.pod.volumes[0].name"),
        ("iris", {"pod": {"volumes": [{"emptyDir": {}}]}}, "spec.pod.volumes[0].name"),
        ("iris", {"pod": {"volumeMounts": [{"name": "data", "mountPath": "/d"}]}}, "spec.pod.volumeMounts[0]"),
        ("iris", {"resources": {"requests": {"nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 2}}},
         "spec.resources"),
    ],
    ids=["name-not-a-version", "reserved-env", "hp-prefixed-env", "hp-collision", "reserved-volume",
         "unnamed-volume", "mount-of-unknown-volume", "gpu-overcommit"],
)
def test_problem_names_the_field(name: str, spec: dict[str, Any], field: str) -> None:
    problems = assess_spec(TrainingJobSpec.model_validate({**BASE, **spec}), name)
    assert len(problems) == 1
    assert problems[0].startswith(field)


@pytest.mark.parametrize(
    ("name", "spec"),
    [
        ("iris-train", {}),
        ("Run.1", {"version": "v1"}),
        ("iris", {"resources": {"requests": {"nvidia.com/gpu": 2}, "limits": {"nvidia.com/gpu": 2}}}),
        ("iris", {"pod": {"volumes": [{"name": "data", "emptyDir": {}}],
                          "volumeMounts": [{"name": "data", "mountPath": "/d"}]}}),
    ],
    ids=["minimal", "explicit-version", "gpus-equal", "volume-and-mount"],
)
def test_valid_specs_have_no_problem(name: str, spec: dict[str, Any]) -> None:
    assert assess_spec(TrainingJobSpec.model_validate({**BASE, **spec}), name) == []


@pytest.mark.parametrize(
    "name", ["iris", "1st-run", "a.b.c", "x" * 52, "y" * 53, "z" * 253, "-" * 3 + "q"],
    ids=["plain", "leading-digit", "dots", "longest-kept", "one-too-long", "max-name", "dashes"],
)
def test_child_name_is_a_dns1035_label_with_room_for_an_index(name: str) -> None:
    child = calculate_child_name(name)
    assert len(child) <= 52
    assert child[0].isalpha() and child[-1].isalnum()
    assert all(c.isalnum() or c == "-" for c in child) and child == child.lower()
    assert calculate_child_name(name) == child  # deterministic


def test_references_cover_volumes_env_pull_secrets_and_service_account() -> None:
    spec = TrainingJobSpec.model_validate({**BASE, "env": [
        {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "k"}}},
        {"name": "OPT", "valueFrom": {"configMapKeyRef": {"name": "maybe", "key": "k", "optional": True}}},
    ], "pod": {"serviceAccountName": "trainer", "imagePullSecrets": [{"name": "regcred"}], "volumes": [
        {"name": "d", "persistentVolumeClaim": {"claimName": "data"}}, {"name": "c", "configMap": {"name": "cfg"}},
    ]}})
    found = {(r.kind, r.name, r.field) for r in calculate_references(spec)}
    assert found == {
        ("Secret", "regcred", "spec.pod.imagePullSecrets[0]"),
        ("ServiceAccount", "trainer", "spec.pod.serviceAccountName"),
        ("PersistentVolumeClaim", "data", "spec.pod.volumes[0].persistentVolumeClaim.claimName"),
        ("ConfigMap", "cfg", "spec.pod.volumes[1].configMap.name"),
        ("Secret", "s3", "spec.env[0].valueFrom.secretKeyRef.name"),
    }


@pytest.mark.parametrize(
    ("change", "changed"),
    [({"suspend": True}, []), ({"ttlSecondsAfterFinished": 60}, []), ({"registerModel": False}, []),
     ({"image": "trainer:2"}, ["spec.image"]), ({"hyperparameters": {"lr": 0.2}}, ["spec.hyperparameters"]),
     ({"args": ["--x"], "backoffLimit": 0}, ["spec.args", "spec.backoffLimit"])],
    ids=["suspend-mutable", "ttl-mutable", "register-mutable", "image", "hyperparameters", "two-fields"],
)
def test_changed_fields_after_the_job_was_created(change: dict[str, Any], changed: list[str]) -> None:
    before = calculate_spec_fingerprint(TrainingJobSpec.model_validate({**BASE, "hyperparameters": {"lr": 0.1}}))
    after = TrainingJobSpec.model_validate({**BASE, "hyperparameters": {"lr": 0.1}, **change})
    assert calculate_changed_fields(before, calculate_spec_fingerprint(after)) == changed


def test_unknown_fingerprint_changes_nothing() -> None:
    assert calculate_changed_fields(None, {"image": "x"}) == []
