"""The artifact contract: what a trainer reports in its termination message, and how it is judged (pure).

A trainer writes one JSON document to ``/dev/termination-log``::

    {"artifact": {"uri": "s3://b/iris/v1/model.joblib", "digest": "sha256:<64 hex>",
                  "format": "sklearn", "sizeBytes": 1234},
     "metrics": {"accuracy": 0.97}}

>>> ok = assess_artifact_report('{"artifact": {"uri": "s3://b/m", "digest": "sha256:' + 'a' * 64 +
...                             '", "format": "sklearn"}, "metrics": {"accuracy": 0.97}}')
>>> ok.reason, ok.metrics, ok.headline
('ArtifactRecorded', {'accuracy': 0.97}, 'accuracy=0.97')
>>> assess_artifact_report(None).reason
'ArtifactReportMissing'
>>> assess_artifact_report('{"artifact": 1}').message
'artifact: must be an object with uri, digest and format'
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from modelyard.api.trainingjob import TERMINATION_MESSAGE_LIMIT, ArtifactReport

RECORDED = "ArtifactRecorded"
MISSING = "ArtifactReportMissing"
TOO_LARGE = "ArtifactReportTooLarge"
MALFORMED = "ArtifactReportMalformed"
INVALID = "ArtifactReportInvalid"
MAX_METRICS = 64


@dataclass(frozen=True)
class ReportOutcome:
    """The judged report: the artifact and metrics when valid, else the reason and exactly what was wrong."""

    reason: str
    message: str
    artifact: ArtifactReport | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.artifact is not None

    @property
    def headline(self) -> str | None:
        return calculate_headline_metric(self.metrics)


def assess_artifact_report(message: str | None) -> ReportOutcome:
    """Judge rank 0's termination message against the contract."""
    if message is None or not message.strip():
        return ReportOutcome(MISSING, "rank 0 wrote no termination message to /dev/termination-log")
    size = len(message.encode())
    if size > TERMINATION_MESSAGE_LIMIT:
        return ReportOutcome(TOO_LARGE, f"report is {size} bytes; the limit is {TERMINATION_MESSAGE_LIMIT}")
    try:
        doc = json.loads(message)
    except ValueError as e:
        return ReportOutcome(MALFORMED, f"report is not JSON: {e}")
    if not isinstance(doc, dict):
        return ReportOutcome(MALFORMED, "report must be a JSON object with 'artifact' and 'metrics'")
    return _assess_document(doc)


def _assess_document(doc: dict[str, Any]) -> ReportOutcome:
    raw = doc.get("artifact")
    if not isinstance(raw, dict):
        return ReportOutcome(INVALID, "artifact: must be an object with uri, digest and format")
    try:
        artifact = ArtifactReport.model_validate(raw)
    except ValidationError as e:
        return ReportOutcome(INVALID, _describe(e))
    metrics, problem = assess_metrics(doc.get("metrics", {}))
    if problem is not None:
        return ReportOutcome(INVALID, problem)
    return ReportOutcome(RECORDED, f"artifact {artifact.uri} ({artifact.digest})", artifact, metrics)


def assess_metrics(raw: Any) -> tuple[dict[str, float], str | None]:
    """Metrics as name -> finite number, or what is wrong with them.

    >>> assess_metrics({"acc": 0.9, "n": 3})
    ({'acc': 0.9, 'n': 3.0}, None)
    >>> assess_metrics({"acc": "high"})[1]
    'metrics.acc: must be a number, got str'
    >>> assess_metrics({"loss": True})[1]
    'metrics.loss: must be a number, got bool'
    """
    if not isinstance(raw, dict):
        return {}, "metrics: must be an object of name to number"
    if len(raw) > MAX_METRICS:
        return {}, f"metrics: at most {MAX_METRICS} metrics, got {len(raw)}"
    out: dict[str, float] = {}
    for name, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            return {}, f"metrics.{name}: must be a number, got {type(value).__name__}"
        if not math.isfinite(value):
            return {}, f"metrics.{name}: must be finite, got {value}"
        out[str(name)] = float(value)
    return out, None


def _describe(e: ValidationError) -> str:
    return "; ".join(
        f"artifact.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:5]
    )


def calculate_headline_metric(metrics: Mapping[str, float]) -> str | None:
    """The metric the printer column shows: the first one reported, as ``name=value``.

    >>> calculate_headline_metric({"accuracy": 0.9712345, "loss": 0.1})
    'accuracy=0.9712'
    >>> calculate_headline_metric({}) is None
    True
    """
    for name, value in metrics.items():
        return f"{name}={value:.4g}"
    return None
