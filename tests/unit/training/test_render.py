"""Rendered children: shapes, the distributed environment, and `kubernetes-validate --strict` for 1.34."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from modelyard.api.modelversion import ModelVersion
from modelyard.api.trainingjob import ArtifactReport
from modelyard.render.training import build_children

from .builders import DIGEST, tj

FULL: dict[str, Any] = {
    "command": ["python", "-m", "train"], "args": ["--epochs", "3"],
    "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "tok", "key": "t"}}}],
    "resources": {"requests": {"cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": 1},
                  "limits": {"memory": "2Gi", "nvidia.com/gpu": 1}},
    "hyperparameters": {"learning-rate": 0.1, "depth": 4, "balanced": True, "solver": "lbfgs"},
    "dataset": {"uri": "s3://data/iris.csv", "digest": DIGEST}, "output": {"uri": "s3://models/iris"},
    "backoffLimit": 2, "activeDeadlineSeconds": 600, "ttlSecondsAfterFinished": 3600,
    "pod": {"serviceAccountName": "trainer", "nodeSelector": {"gpu": "a100"},
            "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}},
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
            "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}],
            "priorityClassName": "training", "imagePullSecrets": [{"name": "regcred"}],
            "labels": {"team": "ml"}, "annotations": {"note": "x"}},
}
CASES = [({}, 1), (FULL, 1), ({}, 3), ({**FULL, "workers": 8}, 8)]
IDS = ["minimal-single", "full-single", "minimal-distributed", "full-distributed"]


def _env(job: dict[str, Any]) -> dict[str, Any]:
    container = job["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


@pytest.mark.parametrize(("spec", "workers"), CASES, ids=IDS)
def test_every_child_passes_strict_validation_for_1_34(spec: dict[str, Any], workers: int) -> None:
    children = build_children(tj(**{**spec, "workers": workers}))
    manifests = [children.job, children.configmap, *([children.service] if children.service else [])]
    for manifest in manifests:
        kubernetes_validate.validate(manifest, "1.34", strict=True)
    assert (children.service is not None) == (workers > 1)


def test_single_pod_job() -> None:
    job = build_children(tj(**FULL)).job
    spec = job["spec"]
    assert (spec["completions"], spec["parallelism"], spec["completionMode"]) == (1, 1, "NonIndexed")
    assert (spec["backoffLimit"], spec["activeDeadlineSeconds"], spec["ttlSecondsAfterFinished"]) == (2, 600, 3600)
    assert spec["suspend"] is False
    env = _env(job)
    assert env["MODELYARD_OUTPUT_URI"] == "s3://models/iris"
    assert env["MODELYARD_HYPERPARAMETERS_FILE"] == "/etc/modelyard/hyperparameters/hyperparameters.json"
    assert env["MODELYARD_TERMINATION_LOG"] == "/dev/termination-log"
    assert (env["HP_LEARNING_RATE"], env["HP_DEPTH"], env["HP_BALANCED"]) == ("0.1", "4", "true")
    assert "WORLD_SIZE" not in env and "subdomain" not in spec["template"]["spec"]
    assert job["metadata"]["ownerReferences"][0]["uid"] == "uid-1234"


def test_distributed_job_has_indexed_pods_rank_env_and_headless_service() -> None:
    children = build_children(tj(workers=3, masterPort=23456))
    job, svc = children.job, children.service
    assert svc is not None
    assert job["spec"]["completionMode"] == "Indexed" and job["spec"]["completions"] == 3
    assert job["spec"]["template"]["spec"]["subdomain"] == svc["metadata"]["name"] == "iris-train"
    env = _env(job)
    assert env["WORLD_SIZE"] == "3"
    index = "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    assert env["RANK"] == {"fieldRef": {"fieldPath": index}}
    assert (env["MASTER_ADDR"], env["MASTER_PORT"]) == ("iris-train-0.iris-train", "23456")
    assert svc["spec"]["clusterIP"] == "None" and svc["spec"]["publishNotReadyAddresses"] is True
    pod_labels = job["spec"]["template"]["metadata"]["labels"]
    assert all(pod_labels[k] == v for k, v in svc["spec"]["selector"].items())


def test_restricted_security_context_by_default_and_overridable() -> None:
    default = build_children(tj()).job["spec"]["template"]["spec"]
    assert default["securityContext"]["runAsNonRoot"] is True
    assert default["containers"][0]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    custom = build_children(tj(pod={"securityContext": {"runAsUser": 0}, "podSecurityContext": {"fsGroup": 1}}))
    pod = custom.job["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"fsGroup": 1}
    assert pod["containers"][0]["securityContext"] == {"runAsUser": 0}


def test_kueue_queue_label_is_carried_and_job_created_suspended() -> None:
    job = build_children(tj(labels={"kueue.x-k8s.io/queue-name": "gpu-queue"})).job
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "gpu-queue"
    assert job["spec"]["suspend"] is True


def test_argo_cd_tracking_is_never_copied_onto_children() -> None:
    children = build_children(tj(labels={"app.kubernetes.io/instance": "argo-app"}))
    assert "app.kubernetes.io/instance" not in children.job["metadata"]["labels"]


def test_model_version_is_not_owned_and_carries_lineage() -> None:
    artifact = ArtifactReport(uri="s3://models/iris/m.joblib", digest=DIGEST, format="sklearn")
    mv = build_children(tj(**FULL), artifact, {"accuracy": 0.97}).model_version
    assert mv is not None
    ModelVersion.model_validate(mv)
    assert mv["metadata"]["name"] == "iris-iris-train"
    assert "ownerReferences" not in mv["metadata"]
    assert mv["metadata"]["labels"]["modelyard.io/trainingjob"] == "iris-train"
    assert mv["metadata"]["labels"]["modelyard.io/model"] == "iris"
    lineage = mv["spec"]["lineage"]
    assert lineage["trainingJob"] == {"name": "iris-train", "namespace": "ml", "uid": "uid-1234"}
    assert lineage["image"] == "trainer:1" and lineage["hyperparameters"]["depth"] == 4
    assert lineage["dataset"]["uri"] == "s3://data/iris.csv"
    assert mv["spec"]["metrics"] == {"accuracy": 0.97}
