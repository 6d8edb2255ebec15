"""Types shared by every kind: conditions, references, durations, thresholds, the CRD metadata hook."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

GROUP = "modelyard.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

#: A duration such as ``30s``, ``5m``, ``1h30m`` or ``500ms`` (Go's time.ParseDuration subset).
Duration = Annotated[
    str,
    Field(
        pattern=r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$",
        max_length=32,
        description="A duration such as 30s, 5m, 1h30m or 500ms.",
    ),
]

#: A Kubernetes object name (RFC 1123 subdomain).
Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=253,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        description="A Kubernetes object name (RFC 1123 subdomain).",
    ),
]

#: A label-safe name (RFC 1123 label, at most 63 characters).
LabelName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=63,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        description="A name usable as a label value: lowercase letters, digits and '-', at most 63.",
    ),
]

#: A content digest, ``sha256:`` followed by 64 lowercase hex characters.
Digest = Annotated[
    str,
    Field(pattern=r"^sha256:[a-f0-9]{64}$", max_length=71, description="Content digest: sha256:<64 hex>."),
]

#: A resource quantity such as ``500m``, ``2Gi`` or ``1``.
QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)


def _check_quantity(value: int | str) -> int | str:
    if isinstance(value, str) and not re.match(QUANTITY_PATTERN, value):
        raise ValueError(f"{value!r} is not a resource quantity (e.g. 500m, 2Gi, 1)")
    return value


Quantity = Annotated[
    int | str,
    AfterValidator(_check_quantity),
    Field(description="A resource quantity such as 500m, 2Gi or 1.", json_schema_extra={"pattern": QUANTITY_PATTERN}),
]

#: The URI schemes an artifact or dataset may use.
ARTIFACT_URI_PATTERN = r"^(s3|gs|pvc|https?|file)://.+$"
ArtifactURI = Annotated[
    str,
    Field(
        pattern=ARTIFACT_URI_PATTERN,
        max_length=2048,
        description="Where the artifact lives: s3://, gs://, pvc://, http(s):// or file:// (sandbox).",
    ),
]


class Model(BaseModel):
    """Base of every API type: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        use_enum_values=True,
        validate_default=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The object as the Kubernetes API stores it: camelCase keys, unset optionals left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class Condition(Model):
    """One aspect of the object's state, as in the Kubernetes API conventions (metav1.Condition)."""

    type: str = Field(
        max_length=316,
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
        r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
        description="Type of condition in CamelCase, e.g. Ready, Reconciling, Stalled.",
    )
    status: ConditionStatus = Field(description="True, False or Unknown.")
    reason: str = Field(
        min_length=1,
        max_length=1024,
        pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
        description="A CamelCase, machine-readable reason for the last transition.",
    )
    message: str = Field(default="", max_length=32768, description="A human-readable explanation.")
    last_transition_time: datetime = Field(
        description="When status last changed; unchanged when only reason or message change."
    )
    observed_generation: int | None = Field(
        default=None, ge=0, description="The metadata.generation this condition was set for."
    )


class LocalObjectReference(Model):
    """A reference to an object in the same namespace."""

    name: Name = Field(description="Name of the referenced object.")


class ObjectReference(Model):
    """A reference to an object, with its uid to tell apart a deleted and re-created namesake."""

    name: Name = Field(description="Name of the referenced object.")
    namespace: str | None = Field(default=None, max_length=63, description="Namespace; the same when empty.")
    uid: str | None = Field(default=None, max_length=64, description="UID of the referenced object.")


class Threshold(Model):
    """A closed range a value must fall in; either bound may be left out."""

    model_config = ConfigDict(json_schema_extra={
        "x-kubernetes-validations": [
            {"rule": "has(self.min) || has(self.max)", "message": "set at least one of min and max"},
            {"rule": "!has(self.min) || !has(self.max) || self.min <= self.max",
             "message": "min must not be greater than max"},
        ]
    })

    min: float | None = Field(default=None, description="Smallest passing value (inclusive).")
    max: float | None = Field(default=None, description="Largest passing value (inclusive).")


class EnvVar(Model):
    """An environment variable for a container (a subset of core/v1 EnvVar)."""

    name: str = Field(min_length=1, max_length=256, pattern=r"^[-._a-zA-Z][-._a-zA-Z0-9]*$",
                      description="Variable name.")
    value: str | None = Field(default=None, max_length=32768, description="Literal value.")
    value_from: dict[str, Any] | None = Field(
        default=None, description="Source for the value (core/v1 EnvVarSource: secretKeyRef, configMapKeyRef, ...)."
    )


class Resources(Model):
    """Compute resources of a container; GPUs as extended resources such as nvidia.com/gpu."""

    requests: dict[str, Quantity] = Field(default_factory=dict, description="Minimum resources requested.")
    limits: dict[str, Quantity] = Field(default_factory=dict, description="Maximum resources allowed.")


class CRDInfo:
    """What a kind declares about its CustomResourceDefinition beyond its schema."""

    def __init__(
        self,
        *,
        kind: str,
        plural: str,
        short_names: list[str],
        printer_columns: list[dict[str, Any]],
        categories: tuple[str, ...] = ("modelyard",),
    ) -> None:
        self.kind = kind
        self.plural = plural
        self.singular = kind.lower()
        self.short_names = short_names
        self.printer_columns = printer_columns
        self.categories = list(categories)


class Resource(Model):
    """A top-level kind: apiVersion, kind, metadata, spec, status (each kind adds kind, spec and status)."""

    crd: ClassVar[CRDInfo]

    api_version: str = Field(default=API_VERSION, description=API_VERSION)
    metadata: dict[str, Any] = Field(default_factory=dict, description="Standard object metadata.")


#: Conditions are a map keyed by type (server-side apply merges them by type).
CONDITIONS_LIST: dict[str, Any] = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]}
