"""The artifact contract, judged: every way a report can be wrong names exactly what was wrong."""

from __future__ import annotations

import json

import pytest

from modelyard.core.artifact_report import assess_artifact_report, calculate_headline_metric

from .builders import DIGEST, report


@pytest.mark.parametrize(
    ("message", "reason", "says"),
    [
        (report(), "ArtifactRecorded", "s3://models/iris/model.joblib"),
        (None, "ArtifactReportMissing", "no termination message"),
        ("   ", "ArtifactReportMissing", "no termination message"),
        ("x" * 4097, "ArtifactReportTooLarge", "4097 bytes"),
        ("{not json", "ArtifactReportMalformed", "not JSON"),
        ("[1, 2]", "ArtifactReportMalformed", "JSON object"),
        (json.dumps({"metrics": {}}), "ArtifactReportInvalid", "artifact: must be an object"),
        (report(artifact={"uri": "ftp://x/m"}), "ArtifactReportInvalid", "artifact.uri"),
        (report(artifact={"digest": "sha256:abc"}), "ArtifactReportInvalid", "artifact.digest"),
        (report(artifact={"digest": "md5:" + "a" * 32}), "ArtifactReportInvalid", "artifact.digest"),
        (report(artifact={"format": ""}), "ArtifactReportInvalid", "artifact.format"),
        (report(artifact={"sizeBytes": -1}), "ArtifactReportInvalid", "artifact.sizeBytes"),
        (report(artifact={"extra": 1}), "ArtifactReportInvalid", "artifact.extra"),
        (report(metrics={"accuracy": "0.9"}), "ArtifactReportInvalid", "metrics.accuracy: must be a number"),
        (report(metrics={"ok": True}), "ArtifactReportInvalid", "metrics.ok: must be a number, got bool"),
        (report(metrics=[0.9]), "ArtifactReportInvalid", "metrics: must be an object"),
        ('{"artifact": {"uri": "s3://m", "digest": "' + DIGEST + '", "format": "onnx"}, "metrics": {"l": NaN}}',
         "ArtifactReportInvalid", "metrics.l: must be finite"),
        (report(metrics={f"m{i}": 1 for i in range(65)}), "ArtifactReportInvalid", "at most 64"),
    ],
    ids=["valid", "missing", "blank", "over-4096-bytes", "not-json", "not-an-object", "no-artifact",
         "bad-scheme", "short-digest", "md5-digest", "empty-format", "negative-size", "unknown-field",
         "metric-string", "metric-bool", "metrics-list", "metric-nan", "too-many-metrics"],
)
def test_report_is_judged(message: str | None, reason: str, says: str) -> None:
    outcome = assess_artifact_report(message)
    assert outcome.reason == reason
    assert says in outcome.message
    assert outcome.ok == (reason == "ArtifactRecorded")


def test_valid_report_carries_artifact_and_metrics() -> None:
    outcome = assess_artifact_report(report(metrics={"accuracy": 0.97, "loss": 1}))
    assert outcome.artifact is not None and outcome.artifact.digest == DIGEST
    assert outcome.artifact.size_bytes == 10
    assert dict(outcome.metrics) == {"accuracy": 0.97, "loss": 1.0}


def test_report_of_exactly_4096_bytes_is_accepted() -> None:
    base = report()
    padded = base[:-1] + ', "pad": "' + "x" * (4096 - len(base) - 11) + '"}'
    assert len(padded.encode()) == 4096
    assert assess_artifact_report(padded).ok


@pytest.mark.parametrize(
    ("metrics", "headline"),
    [({"accuracy": 0.97}, "accuracy=0.97"), ({"loss": 0.123456, "acc": 1}, "loss=0.1235"), ({}, None)],
    ids=["one", "first-wins", "none"],
)
def test_headline_metric(metrics: dict[str, float], headline: str | None) -> None:
    assert calculate_headline_metric(metrics) == headline
