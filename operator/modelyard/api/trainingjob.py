"""TrainingJob: runs training as pods (one, or many for distributed training) and registers the result."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, Field

from modelyard.api.common import (
    CONDITIONS_LIST,
    ArtifactURI,
    Condition,
    CRDInfo,
    Digest,
    EnvVar,
    LabelName,
    LocalObjectReference,
    Model,
    Name,
    Resource,
    Resources,
)

#: Largest report the kubelet keeps from a termination message.
TERMINATION_MESSAGE_LIMIT = 4096


class Dataset(Model):
    """The input data a run trains on, recorded as lineage."""

    uri: ArtifactURI = Field(description="Where the dataset lives.")
    digest: Digest | None = Field(default=None, description="Content digest of the dataset, when known.")


class Output(Model):
    """Where the trainer writes its artifact."""

    uri: ArtifactURI = Field(
        description="Base URI the trainer writes the artifact under; handed to it as MODELYARD_OUTPUT_URI."
    )


class PodSettings(Model):
    """Pod-level settings a platform team needs; handed through to every training pod."""

    service_account_name: Name | None = Field(default=None, description="ServiceAccount the pods run as.")
    node_selector: dict[str, str] = Field(default_factory=dict, description="Node labels the pods must match.")
    tolerations: list[dict[str, Any]] = Field(
        default_factory=list, max_length=64, description="core/v1 Tolerations."
    )
    affinity: dict[str, Any] | None = Field(default=None, description="core/v1 Affinity.")
    volumes: list[dict[str, Any]] = Field(default_factory=list, max_length=64, description="core/v1 Volumes.")
    volume_mounts: list[dict[str, Any]] = Field(
        default_factory=list, max_length=64, description="core/v1 VolumeMounts of the trainer container."
    )
    priority_class_name: str | None = Field(default=None, max_length=253, description="PriorityClass of the pods.")
    image_pull_secrets: list[LocalObjectReference] = Field(
        default_factory=list, max_length=16, description="Secrets to pull the image with."
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Extra labels on the pods.")
    annotations: dict[str, str] = Field(default_factory=dict, description="Extra annotations on the pods.")
    security_context: dict[str, Any] | None = Field(
        default=None,
        description="core/v1 SecurityContext of the trainer container; the restricted profile when unset.",
    )
    pod_security_context: dict[str, Any] | None = Field(
        default=None, description="core/v1 PodSecurityContext; the restricted profile when unset."
    )


class TrainingJobSpec(Model):
    """What to train, with what, and where the result goes."""

    model_config = ConfigDict(json_schema_extra={
        "x-kubernetes-validations": [
            {"rule": "self.workers == oldSelf.workers",
             "message": "workers cannot change after creation; create a new TrainingJob"},
        ]
    })

    model: LabelName = Field(description="Name of the model this run produces a version of.")
    version: LabelName | None = Field(
        default=None, description="Version to register; defaults to the TrainingJob's name."
    )
    image: str = Field(min_length=1, max_length=512, description="Container image of the trainer.")
    command: list[str] = Field(default_factory=list, max_length=64, description="Entrypoint (image default if empty).")
    args: list[str] = Field(default_factory=list, max_length=256, description="Arguments to the entrypoint.")
    env: list[EnvVar] = Field(default_factory=list, max_length=128, description="Extra environment variables.")
    resources: Resources = Field(default_factory=Resources, description="Resources of each training pod.")
    hyperparameters: dict[str, str | int | float | bool] = Field(
        default_factory=dict, max_length=128,
        description="Hyperparameters, handed to the trainer as HP_<NAME> env vars and as a JSON file "
        "named by MODELYARD_HYPERPARAMETERS_FILE.",
    )
    dataset: Dataset | None = Field(default=None, description="The input dataset, recorded as lineage.")
    output: Output | None = Field(default=None, description="Where the trainer writes its artifact.")
    workers: int = Field(
        default=1, ge=1, le=1024, description="Number of training pods; more than 1 runs distributed training."
    )
    master_port: int = Field(default=29500, ge=1, le=65535, description="Port of rank 0 for torch.distributed.")
    backoff_limit: int = Field(default=3, ge=0, le=100, description="Retries before the job is Failed.")
    active_deadline_seconds: int | None = Field(
        default=None, ge=1, description="Wall-clock limit of the whole run; Failed with DeadlineExceeded after."
    )
    ttl_seconds_after_finished: int | None = Field(
        default=None, ge=0, description="Delete the finished TrainingJob after this long (its ModelVersion stays)."
    )
    suspend: bool = Field(default=False, description="Suspend the run (no pods); works with Kueue admission.")
    pod: PodSettings = Field(default_factory=PodSettings, description="Pod-level settings.")
    register_model: bool = Field(default=True, description="Create a ModelVersion when the run succeeds.")


class TrainingPhase(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUSPENDED = "Suspended"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class ArtifactReport(Model):
    """What the trainer reported it produced (the artifact contract)."""

    uri: ArtifactURI = Field(description="Where the artifact was written.")
    digest: Digest = Field(description="sha256 of the artifact.")
    format: str = Field(
        min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9._-]*$", description="Format, e.g. sklearn or onnx."
    )
    size_bytes: int | None = Field(default=None, ge=0, description="Size of the artifact in bytes.")


class TrainingJobStatus(Model):
    """What the operator observed of the run."""

    phase: TrainingPhase | None = Field(default=None, description="Pending, Running, Suspended, Succeeded or Failed.")
    conditions: list[Condition] = Field(
        default_factory=list, max_length=16,
        description="Ready, Reconciling, Stalled, Succeeded, Failed, ArtifactRecorded, ModelRegistered.",
        json_schema_extra=CONDITIONS_LIST,
    )
    observed_generation: int | None = Field(default=None, description="The generation this status describes.")
    start_time: datetime | None = Field(default=None, description="When the training pods were first started.")
    completion_time: datetime | None = Field(default=None, description="When the run finished.")
    attempts: int = Field(default=0, ge=0, description="Pods started so far, retries included.")
    job_name: str | None = Field(default=None, description="Name of the batch/v1 Job running the pods.")
    artifact: ArtifactReport | None = Field(default=None, description="The artifact the trainer reported.")
    metrics: dict[str, float] = Field(default_factory=dict, description="Metrics the trainer reported.")
    headline_metric: str | None = Field(
        default=None, description="One metric as 'name=value', for the printer column."
    )
    model_version: str | None = Field(default=None, description="Name of the ModelVersion registered.")
    message: str | None = Field(default=None, description="A human-readable summary of the state.")


class TrainingJob(Resource):
    """Runs training as pods, single or distributed, and registers what it produced as a ModelVersion."""

    crd = CRDInfo(
        kind="TrainingJob",
        plural="trainingjobs",
        short_names=["tj"],
        printer_columns=[
            {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
            {"name": "Model", "type": "string", "jsonPath": ".spec.model"},
            {"name": "Workers", "type": "integer", "jsonPath": ".spec.workers", "priority": 1},
            {"name": "Metric", "type": "string", "jsonPath": ".status.headlineMetric"},
            {"name": "ModelVersion", "type": "string", "jsonPath": ".status.modelVersion"},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ],
    )

    kind: str = Field(default="TrainingJob", description="TrainingJob")
    spec: TrainingJobSpec = Field(description="What to train.")
    status: TrainingJobStatus = Field(default_factory=TrainingJobStatus, description="What was observed.")
