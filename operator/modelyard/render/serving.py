"""The serving objects of an InferenceService (pure): Deployments, Services, HPA, HTTPRoute.

One Deployment per served ModelVersion (``<service>-<version>``), so promotion changes which Deployment
is called stable without restarting a pod (as Argo Rollouts keeps one ReplicaSet per revision).
Pods carry the InferenceService, the ModelVersion and its digest as labels; Services select on them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from modelyard.api.inferenceservice import InferenceServiceSpec, RouterKind, RuntimeKind, ServedVersion
from modelyard.render.meta import (
    LABEL_DIGEST,
    LABEL_INFERENCESERVICE,
    LABEL_MODEL,
    LABEL_MODELVERSION,
    child_metadata,
    restricted_container_security_context,
    restricted_pod_security_context,
    tmp_volume,
)

SERVICE_PORT = 80
READY_PATH = "/v2/health/ready"
ANNOTATION_DIGEST = "modelyard.io/digest"


def short_name(name: str, limit: int = 63) -> str:
    """``name`` if it fits in ``limit``, else a prefix and a hash (stable, DNS-label safe)."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[: limit - 11].rstrip('-.')}-{digest}"


def deployment_name(service: str, model_version: str) -> str:
    """``<service>-<modelversion>``, shortened with a hash when too long for pod names.

    >>> deployment_name("iris", "iris-v2")
    'iris-iris-v2'
    >>> len(deployment_name("a" * 60, "b" * 60))
    63
    """
    return short_name(f"{service}-{model_version}")


def version_labels(service: str, version: ServedVersion) -> dict[str, str]:
    """The pod labels of one version (the digest label is its hex, cut to a label's 63 characters)."""
    labels = {LABEL_INFERENCESERVICE: short_name(service), LABEL_MODELVERSION: short_name(version.model_version)}
    if version.model:
        labels[LABEL_MODEL] = version.model
    if version.digest:
        labels[LABEL_DIGEST] = version.digest.removeprefix("sha256:")[:63]
    return labels


def _selector(service: str, version: ServedVersion | None) -> dict[str, str]:
    selector = {LABEL_INFERENCESERVICE: short_name(service)}
    if version is not None:
        selector[LABEL_MODELVERSION] = short_name(version.model_version)
    return selector


def _model_env(version: ServedVersion) -> list[dict[str, Any]]:
    pairs = {
        "MODELYARD_MODEL_URI": version.uri, "MODELYARD_MODEL_DIGEST": version.digest,
        "MODELYARD_MODEL_FORMAT": version.format, "MODELYARD_MODEL_NAME": version.model,
        "MODELYARD_MODEL_VERSION": version.version,
    }
    return [{"name": k, "value": v} for k, v in pairs.items() if v is not None]


def _port_env(spec: InferenceServiceSpec) -> list[dict[str, Any]]:
    """The reference server listens where the spec says (it defaults to 8080 otherwise)."""
    if spec.predictor.runtime != RuntimeKind.MODELYARD:
        return []
    return [{"name": "MODELYARD_PORT", "value": str(spec.predictor.port)}]


def build_container(spec: InferenceServiceSpec, version: ServedVersion, image: str) -> dict[str, Any]:
    """The model server container: the artifact and its digest in env, restricted, probed for readiness."""
    p = spec.predictor
    _, tmp_mount = tmp_volume()
    container: dict[str, Any] = {
        "name": "server",
        "image": p.image or image,
        "env": _model_env(version) + _port_env(spec) + [e.to_wire() for e in p.env],
        "ports": [{"name": "http", "containerPort": p.port, "protocol": "TCP"}],
        "readinessProbe": p.readiness_probe or {
            "httpGet": {"path": READY_PATH, "port": p.port}, "periodSeconds": 2, "failureThreshold": 3,
        },
        "resources": p.resources.to_wire(),
        "securityContext": restricted_container_security_context(),
        "volumeMounts": [tmp_mount],
    }
    command = p.command or (["modelyard", "serve"] if p.runtime == RuntimeKind.MODELYARD else [])
    if command:
        container["command"] = command
    if p.args:
        container["args"] = p.args
    return container


def build_deployment(
    owner: Mapping[str, Any], spec: InferenceServiceSpec, version: ServedVersion, replicas: int | None, image: str
) -> dict[str, Any]:
    """The Deployment of one version; ``replicas=None`` leaves the count to the HPA."""
    name = owner["metadata"]["name"]
    labels = version_labels(name, version)
    tmp, _ = tmp_volume()
    p = spec.predictor
    pod_spec: dict[str, Any] = {
        "containers": [build_container(spec, version, image)],
        "securityContext": restricted_pod_security_context(),
        "volumes": [tmp],
        "automountServiceAccountToken": False,
    }
    if p.service_account_name:
        pod_spec["serviceAccountName"] = p.service_account_name
    if p.node_selector:
        pod_spec["nodeSelector"] = p.node_selector
    if p.tolerations:
        pod_spec["tolerations"] = p.tolerations
    deploy_spec: dict[str, Any] = {
        "selector": {"matchLabels": _selector(name, version)},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
        "template": {"metadata": {"labels": labels, "annotations": {ANNOTATION_DIGEST: version.digest or ""}},
                     "spec": pod_spec},
    }
    if replicas is not None:
        deploy_spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": child_metadata(owner, deployment_name(name, version.model_version), labels),
            "spec": deploy_spec}


def build_service(
    owner: Mapping[str, Any], name: str, version: ServedVersion | None, port: int
) -> dict[str, Any]:
    """A ClusterIP Service on port 80; ``version=None`` selects every pod of the InferenceService."""
    service = owner["metadata"]["name"]
    selector = _selector(service, version)
    return {"apiVersion": "v1", "kind": "Service", "metadata": child_metadata(owner, name, selector),
            "spec": {"type": "ClusterIP", "selector": selector,
                     "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": port, "protocol": "TCP"}]}}


def build_router_services(
    owner: Mapping[str, Any], spec: InferenceServiceSpec, stable: ServedVersion | None,
    canary: ServedVersion | None,
) -> list[dict[str, Any]]:
    """replicaRatio: one Service over both versions. gatewayAPI: the Service, a stable and a canary one."""
    name, port = owner["metadata"]["name"], spec.predictor.port
    if spec.traffic.router == RouterKind.REPLICA_RATIO:
        return [build_service(owner, name, None, port)]
    return [build_service(owner, name, stable, port),
            build_service(owner, stable_service_name(name), stable, port),
            build_service(owner, canary_service_name(name), canary or stable, port)]


def stable_service_name(service: str) -> str:
    return short_name(f"{service}-stable")


def canary_service_name(service: str) -> str:
    return short_name(f"{service}-canary")


def build_httproute(
    owner: Mapping[str, Any], spec: InferenceServiceSpec, stable_weight: int, canary_weight: int
) -> dict[str, Any]:
    """A Gateway API HTTPRoute sending ``stable_weight``/``canary_weight`` to the two Services."""
    name = owner["metadata"]["name"]
    parents = [{k: v for k, v in {"name": r.name, "namespace": r.namespace, "sectionName": r.section_name}.items()
                if v is not None} for r in spec.traffic.parent_refs]
    route_spec: dict[str, Any] = {
        "parentRefs": parents,
        "rules": [{"backendRefs": [
            {"name": stable_service_name(name), "port": SERVICE_PORT, "weight": stable_weight},
            {"name": canary_service_name(name), "port": SERVICE_PORT, "weight": canary_weight},
        ]}],
    }
    if spec.traffic.hostnames:
        route_spec["hostnames"] = spec.traffic.hostnames
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": child_metadata(owner, name, {LABEL_INFERENCESERVICE: short_name(name)}), "spec": route_spec}


def build_hpa(owner: Mapping[str, Any], spec: InferenceServiceSpec, stable: ServedVersion) -> dict[str, Any] | None:
    """An autoscaling/v2 HPA on the stable Deployment, when autoscaling is asked for."""
    scaling = spec.predictor.autoscaling
    if scaling is None:
        return None
    name = owner["metadata"]["name"]
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": child_metadata(owner, name, {LABEL_INFERENCESERVICE: short_name(name)}),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                   "name": deployment_name(name, stable.model_version)},
                "minReplicas": scaling.min_replicas, "maxReplicas": scaling.max_replicas,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                    "type": "Utilization", "averageUtilization": scaling.target_cpu_utilization}}}],
            }}


def serving_url(name: str, namespace: str, spec: InferenceServiceSpec) -> str:
    """Where to send requests: the first Gateway hostname, else the in-cluster Service.

    >>> from modelyard.api.inferenceservice import ModelSource
    >>> serving_url("iris", "ml", InferenceServiceSpec(model=ModelSource(model_version="iris-v1")))
    'http://iris.ml.svc.cluster.local'
    """
    if spec.traffic.router == RouterKind.GATEWAY_API and spec.traffic.hostnames:
        return f"http://{spec.traffic.hostnames[0]}"
    return f"http://{name}.{namespace}.svc.cluster.local"


def build_router_objects(
    owner: Mapping[str, Any], spec: InferenceServiceSpec, stable: ServedVersion | None,
    canary: ServedVersion | None, canary_weight: int,
) -> list[dict[str, Any]]:
    """The router's objects: its Services, and for gatewayAPI the HTTPRoute with the weights."""
    objects = build_router_services(owner, spec, stable, canary)
    if spec.traffic.router == RouterKind.GATEWAY_API:
        w = min(max(canary_weight if canary is not None else 0, 0), 100)
        objects.append(build_httproute(owner, spec, 100 - w, w))
    return objects
