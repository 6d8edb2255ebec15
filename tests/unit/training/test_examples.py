"""Every examples/trainingjob-*.yaml parses as the API, passes the CRD schema, and renders valid children."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from modelyard.api.trainingjob import TrainingJob
from modelyard.core.training_spec import assess_spec
from modelyard.render.training import build_children

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples").glob("trainingjob-*.yaml"))


def crd_schema() -> dict[str, Any]:
    crd = yaml.safe_load((ROOT / "crds" / "trainingjobs.yaml").read_text())
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def test_there_is_a_single_pod_and_a_distributed_example() -> None:
    workers = [yaml.safe_load(p.read_text())["spec"].get("workers", 1) for p in EXAMPLES]
    assert 1 in workers and any(w > 1 for w in workers)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_is_valid_and_renders_valid_children(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    jsonschema.validate(doc, crd_schema())
    doc["metadata"] |= {"namespace": "ml", "uid": "u-1", "generation": 1}
    tj = TrainingJob.model_validate(doc)
    assert assess_spec(tj.spec, tj.metadata["name"]) == []
    children = build_children(tj)
    for manifest in [children.job, children.configmap, *([children.service] if children.service else [])]:
        kubernetes_validate.validate(manifest, "1.34", strict=True)


@pytest.mark.parametrize(
    ("spec", "path"),
    [({"workers": -1}, "workers"), ({"workers": 0}, "workers"), ({"backoffLimit": -1}, "backoffLimit"),
     ({"resources": {"limits": {"memory": "2 GiB"}}}, "memory"), ({"model": "Iris_Model"}, "model"),
     ({"image": ""}, "image"), ({"masterPort": 70000}, "masterPort")],
    ids=["negative-workers", "zero-workers", "negative-backoff", "bad-quantity", "bad-model-name", "empty-image",
         "port-out-of-range"],
)
def test_schema_refuses_bad_input(spec: dict[str, Any], path: str) -> None:
    doc = {"apiVersion": "modelyard.io/v1alpha1", "kind": "TrainingJob", "metadata": {"name": "x"},
           "spec": {"model": "iris", "image": "t:1", **spec}}
    with pytest.raises(jsonschema.ValidationError) as refused:
        jsonschema.validate(doc, crd_schema())
    assert path in str(refused.value.path) + refused.value.message
