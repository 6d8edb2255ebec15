"""Rendered serving objects: kubernetes-validate --strict, labels, security context, weights."""

from __future__ import annotations

from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from modelyard.api.inferenceservice import InferenceServiceSpec, ServedVersion
from modelyard.render.serving import (
    build_deployment,
    build_hpa,
    build_router_objects,
    deployment_name,
    serving_url,
)

K8S_VERSION = "1.34"
OWNER = {"apiVersion": "modelyard.io/v1alpha1", "kind": "InferenceService",
         "metadata": {"name": "iris", "namespace": "ml", "uid": "u-1",
                      "labels": {"app.kubernetes.io/instance": "argo-app"}}}
V1 = ServedVersion(model_version="iris-v1", digest="sha256:" + "b" * 64, uri="s3://models/iris/1",
                   format="sklearn", model="iris", version="v1")
V2 = V1.model_copy(update={"model_version": "iris-v2", "version": "v2"})
GATEWAY = {"router": "gatewayAPI", "parentRefs": [{"name": "public", "namespace": "gw", "sectionName": "http"}],
           "hostnames": ["iris.example.com"]}


def spec(**kw: Any) -> InferenceServiceSpec:
    return InferenceServiceSpec.model_validate({"model": {"modelVersion": "iris-v1"}, **kw})


def rich_spec(**kw: Any) -> InferenceServiceSpec:
    return spec(predictor={
        "env": [{"name": "LOG_LEVEL", "value": "debug"}], "args": ["--workers", "2"],
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"nvidia.com/gpu": 1}},
        "autoscaling": {"maxReplicas": 5}, "nodeSelector": {"gpu": "true"},
        "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "serviceAccountName": "server"}, **kw)


def all_objects(s: InferenceServiceSpec) -> list[dict[str, Any]]:
    objects = [build_deployment(OWNER, s, V1, 3, "img:1"), build_deployment(OWNER, s, V2, None, "img:1"),
               *build_router_objects(OWNER, s, V1, V2, 20)]
    hpa = build_hpa(OWNER, s, V1)
    return objects + ([hpa] if hpa else [])


CASES = {"plain": spec(), "rich": rich_spec(), "gateway": rich_spec(traffic=GATEWAY)}


@pytest.mark.parametrize("name", CASES)
def test_core_objects_pass_kubernetes_validate_strict(name: str) -> None:
    objects = [o for o in all_objects(CASES[name]) if o["kind"] != "HTTPRoute"]
    assert {o["kind"] for o in objects} >= {"Deployment", "Service"}
    for o in objects:
        kubernetes_validate.validate(o, K8S_VERSION, strict=True)


# The part of the Gateway API v1 HTTPRoute schema (gateway-api v1.2 CRD) our route uses.
HTTPROUTE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"], "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "gateway.networking.k8s.io/v1"}, "kind": {"const": "HTTPRoute"},
        "metadata": {"type": "object"},
        "spec": {"type": "object", "additionalProperties": False, "properties": {
            "parentRefs": {"type": "array", "maxItems": 32, "items": {
                "type": "object", "required": ["name"], "additionalProperties": False, "properties": {
                    "group": {"type": "string"}, "kind": {"type": "string"},
                    "name": {"type": "string", "minLength": 1, "maxLength": 253},
                    "namespace": {"type": "string", "maxLength": 63, "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                    "sectionName": {"type": "string", "maxLength": 253},
                    "port": {"type": "integer", "minimum": 1, "maximum": 65535}}}},
            "hostnames": {"type": "array", "maxItems": 16, "items": {
                "type": "string", "maxLength": 253,
                "pattern": r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"}},
            "rules": {"type": "array", "maxItems": 16, "items": {
                "type": "object", "additionalProperties": False, "properties": {
                    "backendRefs": {"type": "array", "maxItems": 16, "items": {
                        "type": "object", "required": ["name"], "additionalProperties": False, "properties": {
                            "group": {"type": "string"}, "kind": {"type": "string"},
                            "name": {"type": "string", "minLength": 1, "maxLength": 253},
                            "namespace": {"type": "string"},
                            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                            "weight": {"type": "integer", "minimum": 0, "maximum": 1000000}}}}}}}}},
    },
}


@pytest.mark.parametrize("weight", [0, 20, 100], ids=["all-stable", "twenty", "all-canary"])
def test_httproute_against_the_gateway_api_schema(weight: int) -> None:
    route = next(o for o in build_router_objects(OWNER, rich_spec(traffic=GATEWAY), V1, V2, weight)
                 if o["kind"] == "HTTPRoute")
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):  # the tool knows no Gateway API: say so
        kubernetes_validate.validate(route, K8S_VERSION, strict=True)
    jsonschema.validate(route, HTTPROUTE_SCHEMA)
    refs = route["spec"]["rules"][0]["backendRefs"]
    assert [(r["name"], r["weight"]) for r in refs] == [("iris-stable", 100 - weight), ("iris-canary", weight)]


def test_pods_are_labelled_restricted_and_get_the_artifact() -> None:
    d = build_deployment(OWNER, spec(), V2, 2, "img:1")
    pod = d["spec"]["template"]
    assert d["metadata"]["name"] == "iris-iris-v2" and d["spec"]["replicas"] == 2
    assert pod["metadata"]["labels"] == {
        "modelyard.io/inferenceservice": "iris", "modelyard.io/modelversion": "iris-v2",
        "modelyard.io/model": "iris", "modelyard.io/digest": "b" * 63}
    assert pod["metadata"]["annotations"]["modelyard.io/digest"] == V2.digest
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env == {"MODELYARD_MODEL_URI": "s3://models/iris/1", "MODELYARD_MODEL_DIGEST": V2.digest,
                   "MODELYARD_MODEL_FORMAT": "sklearn", "MODELYARD_MODEL_NAME": "iris",
                   "MODELYARD_MODEL_VERSION": "v2", "MODELYARD_PORT": "8080"}
    container = pod["spec"]["containers"][0]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8080}
    assert d["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert "app.kubernetes.io/instance" not in d["metadata"]["labels"]


def test_hpa_leaves_replicas_to_the_autoscaler_and_targets_stable() -> None:
    s = rich_spec()
    assert "replicas" not in build_deployment(OWNER, s, V1, None, "img")["spec"]
    hpa = build_hpa(OWNER, s, V1)
    assert hpa is not None and hpa["spec"]["scaleTargetRef"]["name"] == "iris-iris-v1"
    assert build_hpa(OWNER, spec(), V1) is None


@pytest.mark.parametrize(
    ("traffic", "services"),
    [({}, {"iris": None}),
     (GATEWAY, {"iris": "iris-v1", "iris-stable": "iris-v1", "iris-canary": "iris-v2"})],
    ids=["replica-ratio-one-service-over-both", "gateway-three-services"],
)
def test_router_services(traffic: dict[str, Any], services: dict[str, str | None]) -> None:
    objects = build_router_objects(OWNER, spec(traffic=traffic), V1, V2, 20)
    got = {o["metadata"]["name"]: o["spec"]["selector"].get("modelyard.io/modelversion")
           for o in objects if o["kind"] == "Service"}
    assert got == services


def test_names_and_url() -> None:
    assert len(deployment_name("s" * 100, "v" * 100)) == 63
    assert deployment_name("s" * 100, "v" * 100) != deployment_name("s" * 100, "w" * 100)
    assert serving_url("iris", "ml", spec(traffic=GATEWAY)) == "http://iris.example.com"
    assert serving_url("iris", "ml", spec()) == "http://iris.ml.svc.cluster.local"
