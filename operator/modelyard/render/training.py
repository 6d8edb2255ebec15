"""The children of a TrainingJob (pure): the batch/v1 Job, its headless Service, the hyperparameters
ConfigMap, and the ModelVersion it registers.

``workers == 1`` is a plain Job of one pod. ``workers > 1`` is an Indexed Job whose pods get stable
names ``<job>-<index>.<service>`` through a headless Service, and the environment ``torchrun`` /
``torch.distributed`` expects: WORLD_SIZE, RANK (the completion index), MASTER_ADDR (rank 0), MASTER_PORT.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from modelyard.api.common import ObjectReference
from modelyard.api.modelversion import Artifact, Lineage, ModelVersion, ModelVersionSpec
from modelyard.api.trainingjob import ArtifactReport, TrainingJob, TrainingJobSpec
from modelyard.core.training import KUEUE_QUEUE_LABEL, TrainingChildren
from modelyard.core.training_observe import FINGERPRINT_ANNOTATION, INDEX_KEY, TRAINER
from modelyard.core.training_spec import (
    calculate_child_name,
    calculate_hp_env_name,
    calculate_modelversion_name,
    calculate_spec_fingerprint,
    calculate_version,
)
from modelyard.render.meta import (
    LABEL_MODEL,
    LABEL_TRAININGJOB,
    MANAGED_BY,
    child_metadata,
    restricted_container_security_context,
    restricted_pod_security_context,
    tmp_volume,
)

HP_DIR = "/etc/modelyard/hyperparameters"
HP_FILE = "hyperparameters.json"
TERMINATION_LOG = "/dev/termination-log"


def build_children(
    tj: TrainingJob, artifact: ArtifactReport | None = None, metrics: Mapping[str, float] | None = None
) -> TrainingChildren:
    """Every manifest the TrainingJob wants; the ModelVersion only once there is an artifact to register."""
    body = tj.model_dump(by_alias=True, mode="json")
    name = calculate_child_name(tj.metadata["name"])
    return TrainingChildren(
        job=build_job(tj, body, name),
        configmap=build_hyperparameters_configmap(tj, body, name),
        service=build_headless_service(tj, body, name) if tj.spec.workers > 1 else None,
        model_version=None if artifact is None else build_model_version(tj, artifact, metrics or {}),
    )


def selector_labels(tj: TrainingJob) -> dict[str, str]:
    return {LABEL_TRAININGJOB: calculate_child_name(tj.metadata["name"])}


def _labels(tj: TrainingJob) -> dict[str, str]:
    return {**selector_labels(tj), LABEL_MODEL: tj.spec.model}


def build_hyperparameters_configmap(tj: TrainingJob, body: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": child_metadata(body, f"{name}-hparams", _labels(tj)),
        "data": {HP_FILE: json.dumps(tj.spec.hyperparameters, sort_keys=True)},
    }


def build_headless_service(tj: TrainingJob, body: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Stable DNS for every worker; published before readiness so rank 0 resolves while it starts."""
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": child_metadata(body, name, _labels(tj)),
        "spec": {
            "clusterIP": "None", "publishNotReadyAddresses": True, "selector": selector_labels(tj),
            "ports": [{"name": "dist", "port": tj.spec.master_port, "targetPort": tj.spec.master_port}],
        },
    }


def build_job(tj: TrainingJob, body: Mapping[str, Any], name: str) -> dict[str, Any]:
    spec = tj.spec
    labels = _labels(tj)
    queue = (tj.metadata.get("labels") or {}).get(KUEUE_QUEUE_LABEL)
    if queue:
        labels[KUEUE_QUEUE_LABEL] = queue
    fingerprint = json.dumps(calculate_spec_fingerprint(spec), sort_keys=True, separators=(",", ":"))
    job_spec: dict[str, Any] = {
        "completions": spec.workers, "parallelism": spec.workers,
        "completionMode": "Indexed" if spec.workers > 1 else "NonIndexed",
        "backoffLimit": spec.backoff_limit, "suspend": spec.suspend or bool(queue),
        "template": build_pod_template(tj, name),
    }
    if spec.active_deadline_seconds is not None:
        job_spec["activeDeadlineSeconds"] = spec.active_deadline_seconds
    if spec.ttl_seconds_after_finished is not None:
        job_spec["ttlSecondsAfterFinished"] = spec.ttl_seconds_after_finished
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": child_metadata(body, name, labels, {FINGERPRINT_ANNOTATION: fingerprint}),
        "spec": job_spec,
    }


def build_pod_template(tj: TrainingJob, name: str) -> dict[str, Any]:
    pod = tj.spec.pod
    tmp, tmp_mount = tmp_volume()
    hp_volume = {"name": "hyperparameters", "configMap": {"name": f"{name}-hparams"}}
    hp_mount = {"name": "hyperparameters", "mountPath": HP_DIR, "readOnly": True}
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "securityContext": pod.pod_security_context or restricted_pod_security_context(),
        "volumes": [tmp, hp_volume, *pod.volumes],
        "containers": [_trainer_container(tj, name, [tmp_mount, hp_mount, *pod.volume_mounts])],
    }
    optional = {
        "serviceAccountName": pod.service_account_name, "nodeSelector": pod.node_selector or None,
        "tolerations": pod.tolerations or None, "affinity": pod.affinity,
        "priorityClassName": pod.priority_class_name,
        "imagePullSecrets": [s.to_wire() for s in pod.image_pull_secrets] or None,
        "subdomain": name if tj.spec.workers > 1 else None,
    }
    spec.update({k: v for k, v in optional.items() if v is not None})
    meta: dict[str, Any] = {"labels": {**pod.labels, **MANAGED_BY, **_labels(tj)}}
    if pod.annotations:
        meta["annotations"] = dict(pod.annotations)
    return {"metadata": meta, "spec": spec}


def _trainer_container(tj: TrainingJob, name: str, mounts: list[dict[str, Any]]) -> dict[str, Any]:
    spec = tj.spec
    container: dict[str, Any] = {
        "name": TRAINER, "image": spec.image,
        "env": build_env(spec, name),
        "resources": spec.resources.to_wire(),
        "volumeMounts": mounts,
        "securityContext": spec.pod.security_context or restricted_container_security_context(),
        "terminationMessagePath": TERMINATION_LOG, "terminationMessagePolicy": "File",
    }
    if spec.command:
        container["command"] = list(spec.command)
    if spec.args:
        container["args"] = list(spec.args)
    return container


def build_env(spec: TrainingJobSpec, name: str) -> list[dict[str, Any]]:
    """The trainer's environment: the user's, the artifact contract's, the hyperparameters, the ranks."""
    env: list[dict[str, Any]] = [e.to_wire() for e in spec.env]
    if spec.output is not None:
        env.append({"name": "MODELYARD_OUTPUT_URI", "value": spec.output.uri})
    env += [{"name": "MODELYARD_HYPERPARAMETERS_FILE", "value": f"{HP_DIR}/{HP_FILE}"},
            {"name": "MODELYARD_TERMINATION_LOG", "value": TERMINATION_LOG}]
    env += [{"name": calculate_hp_env_name(k), "value": _env_value(v)} for k, v in spec.hyperparameters.items()]
    if spec.workers > 1:
        env += _distributed_env(spec, name)
    return env


def _distributed_env(spec: TrainingJobSpec, name: str) -> list[dict[str, Any]]:
    rank = {"fieldRef": {"fieldPath": f"metadata.annotations['{INDEX_KEY}']"}}
    master, port, size = f"{name}-0.{name}", str(spec.master_port), str(spec.workers)
    return [
        {"name": "WORLD_SIZE", "value": size}, {"name": "RANK", "valueFrom": rank},
        {"name": "MASTER_ADDR", "value": master}, {"name": "MASTER_PORT", "value": port},
        {"name": "PET_NNODES", "value": size}, {"name": "PET_NODE_RANK", "valueFrom": rank},
        {"name": "PET_MASTER_ADDR", "value": master}, {"name": "PET_MASTER_PORT", "value": port},
    ]


def _env_value(value: str | int | float | bool) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def build_model_version(tj: TrainingJob, artifact: ArtifactReport, metrics: Mapping[str, float]) -> dict[str, Any]:
    """The ModelVersion a successful run registers: not owned by the TrainingJob, so it outlives it."""
    meta, spec = tj.metadata, tj.spec
    version = calculate_version(spec, meta["name"])
    record = ModelVersion(
        metadata={
            "name": calculate_modelversion_name(spec, meta["name"]), "namespace": meta.get("namespace"),
            "labels": {**MANAGED_BY, LABEL_MODEL: spec.model, **selector_labels(tj)},
        },
        spec=ModelVersionSpec(
            model=spec.model, version=version, metrics=dict(metrics),
            artifact=Artifact(uri=artifact.uri, digest=artifact.digest, format=artifact.format,
                              size_bytes=artifact.size_bytes),
            lineage=Lineage(
                training_job=ObjectReference(name=meta["name"], namespace=meta.get("namespace"), uid=meta.get("uid")),
                image=spec.image, hyperparameters=dict(spec.hyperparameters), dataset=spec.dataset,
            ),
        ),
    )
    wire = record.to_wire()
    wire.pop("status", None)
    return wire
