"""Every InferenceService example parses as the API model and renders objects that pass validation."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from modelyard.api.inferenceservice import InferenceService, ServedVersion
from modelyard.render.serving import build_deployment, build_hpa, build_router_objects

from .test_render import HTTPROUTE_SCHEMA, K8S_VERSION

EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "examples").glob("inferenceservice-*.yaml"))
V1 = ServedVersion(model_version="iris-v1", digest="sha256:" + "e" * 64, uri="s3://m/1", format="sklearn",
                   model="iris", version="v1")
V2 = V1.model_copy(update={"model_version": "iris-v2", "version": "v2"})


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_renders_valid_objects(path: Path) -> None:
    body = yaml.safe_load(path.read_text())
    isvc = InferenceService.model_validate(body)
    owner = {**body, "metadata": {**body["metadata"], "namespace": "ml", "uid": "u"}}
    objects = [build_deployment(owner, isvc.spec, V1, 2, "img:1"), build_deployment(owner, isvc.spec, V2, 1, "img:1"),
               *build_router_objects(owner, isvc.spec, V1, V2, 10)]
    hpa = build_hpa(owner, isvc.spec, V1)
    for obj in [*objects, *([hpa] if hpa else [])]:
        if obj["kind"] == "HTTPRoute":
            jsonschema.validate(obj, HTTPROUTE_SCHEMA)
        else:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_examples_cover_both_routers_and_both_sources() -> None:
    specs = [InferenceService.model_validate(yaml.safe_load(p.read_text())).spec for p in EXAMPLES]
    assert {s.traffic.router for s in specs} == {"replicaRatio", "gatewayAPI"}
    assert {s.model.track is not None for s in specs} == {True, False}
