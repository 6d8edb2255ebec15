"""ModelVersion: an immutable registry record of one trained model, with its lineage and where it serves."""

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
    LabelName,
    Model,
    Name,
    ObjectReference,
    Resource,
)
from modelyard.api.trainingjob import Dataset


class Artifact(Model):
    """The model's bytes: where they are, what they hash to, how to load them."""

    uri: ArtifactURI = Field(description="Where the artifact lives.")
    digest: Digest = Field(description="sha256 of the artifact; consumers refuse an artifact that differs.")
    format: str = Field(
        min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9._-]*$",
        description="How to load it, e.g. sklearn or onnx.",
    )
    size_bytes: int | None = Field(default=None, ge=0, description="Size of the artifact in bytes.")


class Lineage(Model):
    """Where the model came from."""

    training_job: ObjectReference | None = Field(default=None, description="The TrainingJob that produced it.")
    image: str | None = Field(default=None, max_length=512, description="The trainer image.")
    hyperparameters: dict[str, str | int | float | bool] = Field(
        default_factory=dict, max_length=128, description="The hyperparameters of the run (at most 128)."
    )
    dataset: Dataset | None = Field(default=None, description="The dataset it was trained on.")


class RetentionPolicy(Model):
    """How many versions of this model to keep; older ones are Retired (artifacts are never deleted).

    The policy of the model's newest version applies to all its versions. Versions that an
    InferenceService serves or may roll back to are never retired, and do not make room for others.
    """

    keep_last: int = Field(
        default=10, ge=1, le=10000,
        description="Keep this many newest versions of the model; retire older ones unless in use.",
    )


class ModelVersionSpec(Model):
    """The immutable record. A new model is a new ModelVersion."""

    model_config = ConfigDict(json_schema_extra={
        "x-kubernetes-validations": [
            {"rule": "self == oldSelf",
             "message": "spec is immutable: a new model is a new ModelVersion"},
        ]
    })

    model: LabelName = Field(description="Name of the model this is a version of.")
    version: LabelName = Field(description="Version, unique per model.")
    artifact: Artifact = Field(description="The model's artifact.")
    metrics: dict[str, float] = Field(
        default_factory=dict, max_length=64, description="Offline metrics, name to number (at most 64)."
    )
    lineage: Lineage = Field(default_factory=Lineage, description="Where the model came from.")
    tags: dict[str, str] = Field(
        default_factory=dict, max_length=64,
        description="Free-form tags of the user's own (at most 64); InferenceServices can select on them.",
    )
    retention: RetentionPolicy | None = Field(
        default=None, description="Retention for this model; the newest version's policy applies."
    )


#: An annotation (or tag) naming the metric shown in ``kubectl get mv``; the first metric otherwise.
HEADLINE_METRIC_KEY = "modelyard.io/headline-metric"
#: The finalizer that holds deletion while an InferenceService depends on the version.
PROTECTION_FINALIZER = "modelyard.io/protection"


class ModelPhase(StrEnum):
    PENDING = "Pending"
    READY = "Ready"
    REJECTED = "Rejected"
    RETIRED = "Retired"


class ServingRole(StrEnum):
    STABLE = "stable"
    CANARY = "canary"


class ServedBy(Model):
    """An InferenceService serving this version."""

    inference_service: Name = Field(description="Name of the InferenceService (same namespace).")
    role: ServingRole = Field(description="stable or canary.")


class Rejection(Model):
    """An InferenceService refused this version."""

    inference_service: Name = Field(description="Name of the InferenceService (same namespace).")
    reason: str = Field(max_length=128, description="CamelCase reason, e.g. RolledBack or GateFailed.")
    message: str = Field(default="", max_length=4096, description="What failed, in words.")
    time: datetime = Field(description="When it was rejected.")
    measurements: dict[str, Any] = Field(default_factory=dict, description="The measurements that failed.")


class ModelVersionStatus(Model):
    """Where the version stands."""

    phase: ModelPhase | None = Field(default=None, description="Pending, Ready, Rejected or Retired.")
    conditions: list[Condition] = Field(
        default_factory=list, max_length=16, description="Ready, Stalled, ArtifactVerified.",
        json_schema_extra=CONDITIONS_LIST,
    )
    observed_generation: int | None = Field(default=None, description="The generation this status describes.")
    headline_metric: str | None = Field(default=None, description="One metric as 'name=value', for the printer.")
    served_by: list[ServedBy] = Field(default_factory=list, max_length=256, description="Where it is served now.")
    held_by: list[Name] = Field(
        default_factory=list, max_length=256,
        description="InferenceServices that serve it or may roll back to it: deletion waits for them.",
    )
    served_by_summary: str | None = Field(default=None, description="servedBy in one line, for the printer.")
    rejections: list[Rejection] = Field(
        default_factory=list, max_length=64,
        description="Where it was refused; append-only (the 64 most recent are kept).",
    )
    message: str | None = Field(default=None, description="A human-readable summary of the state.")


class ModelVersion(Resource):
    """An immutable, traceable registry record of a trained model."""

    crd = CRDInfo(
        kind="ModelVersion",
        plural="modelversions",
        short_names=["mv"],
        printer_columns=[
            {"name": "Model", "type": "string", "jsonPath": ".spec.model"},
            {"name": "Version", "type": "string", "jsonPath": ".spec.version"},
            {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
            {"name": "Metric", "type": "string", "jsonPath": ".status.headlineMetric"},
            {"name": "Served-By", "type": "string", "jsonPath": ".status.servedBySummary"},
            {"name": "Format", "type": "string", "jsonPath": ".spec.artifact.format", "priority": 1},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ],
    )

    kind: str = Field(default="ModelVersion", description="ModelVersion")
    spec: ModelVersionSpec = Field(description="The immutable record.")
    status: ModelVersionStatus = Field(default_factory=ModelVersionStatus, description="Where it stands.")
