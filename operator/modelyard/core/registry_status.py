"""The consumer-facing parts of a ModelVersion's status: servedBy, rejections, the printer columns,
ArtifactVerified. Pure; ``now`` is an argument."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from modelyard.api.common import Condition, ConditionStatus
from modelyard.api.modelversion import (
    HEADLINE_METRIC_KEY,
    ModelVersionSpec,
    Rejection,
    ServedBy,
    ServingRole,
)
from modelyard.core.conditions import is_true, set_condition
from modelyard.core.registry import parse_time
from modelyard.core.registry_usage import SERVING_ROLES, Usage

ARTIFACT_VERIFIED = "ArtifactVerified"
MAX_REJECTIONS = 64
SUMMARY_LIMIT = 3


def calculate_served_by(usages: Iterable[Usage]) -> list[ServedBy]:
    """Every (InferenceService, role) serving the version, sorted; a deleted InferenceService is absent."""
    pairs = sorted((u.inference_service, role) for u in usages for role in u.roles if role in SERVING_ROLES)
    return [ServedBy(inference_service=name, role=ServingRole(role)) for name, role in pairs]


def calculate_served_by_summary(served_by: Sequence[ServedBy]) -> str | None:
    """servedBy in one line for ``kubectl get mv``.

    >>> calculate_served_by_summary([ServedBy(inference_service="web", role="stable")])
    'web (stable)'
    >>> calculate_served_by_summary([ServedBy(inference_service=f"s{i}", role="canary") for i in range(5)])
    's0 (canary), s1 (canary), s2 (canary) +2'
    >>> calculate_served_by_summary([]) is None
    True
    """
    if not served_by:
        return None
    shown = ", ".join(f"{s.inference_service} ({s.role})" for s in served_by[:SUMMARY_LIMIT])
    more = len(served_by) - SUMMARY_LIMIT
    return shown + (f" +{more}" if more > 0 else "")


def merge_rejections(old: Sequence[Rejection], usages: Iterable[Usage], now: datetime) -> list[Rejection]:
    """``old`` plus each rejection not recorded yet; never drops one (beyond the newest 64 kept).

    A rejection is the same as a recorded one when it names the same InferenceService and time; one
    without a time is recorded once per InferenceService, stamped ``now``.
    """
    out = list(old)
    for u in sorted(usages, key=lambda u: u.inference_service):
        info = u.rejection
        if info is None:
            continue
        when = parse_time(info.time) if info.time else None
        if any(r.inference_service == u.inference_service and (when is None or r.time == when) for r in out):
            continue
        out.append(Rejection(inference_service=u.inference_service, reason=info.reason, message=info.message,
                             time=when or now, measurements=dict(info.measurements)))
    return out[-MAX_REJECTIONS:]


def calculate_headline_metric(spec: ModelVersionSpec | None, annotations: Mapping[str, str]) -> str | None:
    """``name=value`` of the metric named by the headline annotation (or tag), else of the first metric.

    >>> spec = ModelVersionSpec(model="iris", version="v1", metrics={"accuracy": 0.9512, "f1": 0.9},
    ...     artifact={"uri": "s3://b/m", "digest": "sha256:" + "a" * 64, "format": "sklearn"})
    >>> calculate_headline_metric(spec, {}), calculate_headline_metric(spec, {HEADLINE_METRIC_KEY: "f1"})
    ('accuracy=0.9512', 'f1=0.9')
    """
    if spec is None or not spec.metrics:
        return None
    wanted = annotations.get(HEADLINE_METRIC_KEY) or spec.tags.get(HEADLINE_METRIC_KEY)
    name = wanted if wanted in spec.metrics else next(iter(spec.metrics))
    return f"{name}={spec.metrics[name]:.4g}"


def calculate_artifact_verified(
    conditions: Sequence[Condition], spec: ModelVersionSpec | None, usages: Iterable[Usage],
    now: datetime, generation: int | None,
) -> list[Condition]:
    """ArtifactVerified: True once a serving pod checked the digest (and stays True); False on a mismatch."""
    if spec is None:
        return list(conditions)
    usages = list(usages)
    matched = sorted(u.inference_service for u in usages if spec.artifact.digest in u.verified_digests)
    other = sorted(u.inference_service for u in usages if u.verified_digests - {spec.artifact.digest})
    if matched:
        status, reason = ConditionStatus.TRUE, "DigestVerified"
        message = f"A serving pod of {', '.join(matched)} loaded the artifact and its digest matched."
    elif other:
        status, reason = ConditionStatus.FALSE, "DigestMismatch"
        message = f"{', '.join(other)} loaded an artifact whose digest differs from {spec.artifact.digest}."
    elif is_true(conditions, ARTIFACT_VERIFIED):
        return list(conditions)
    else:
        status, reason = ConditionStatus.UNKNOWN, "NotYetLoaded"
        message = "No serving pod has loaded the artifact yet."
    return set_condition(conditions, ARTIFACT_VERIFIED, status, reason, message, now, generation)
