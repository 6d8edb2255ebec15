"""Given-helpers for TrainingJob tests: bodies, Jobs, pods and reports as the API would hold them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from modelyard.api.trainingjob import TrainingJob

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DIGEST = "sha256:" + "ab" * 32
UID = "uid-1234"


def tj_body(name: str = "iris-train", generation: int = 1, status: dict[str, Any] | None = None,
            labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "modelyard.io/v1alpha1", "kind": "TrainingJob",
        "metadata": {"name": name, "namespace": "ml", "uid": UID, "generation": generation,
                     **({"labels": labels} if labels else {})},
        "spec": {"model": "iris", "image": "trainer:1", **spec},
        **({"status": status} if status else {}),
    }


def tj(**kwargs: Any) -> TrainingJob:
    return TrainingJob.model_validate(tj_body(**kwargs))


def report(**overrides: Any) -> str:
    artifact = {"uri": "s3://models/iris/model.joblib", "digest": DIGEST, "format": "sklearn", "sizeBytes": 10}
    doc: dict[str, Any] = {"artifact": {**artifact, **overrides.pop("artifact", {})}, "metrics": {"accuracy": 0.97}}
    doc.update(overrides)
    return json.dumps(doc)


def job_status(*, active: int = 0, succeeded: int = 0, failed: int = 0, complete: bool = False,
               failed_reason: str | None = None, start: str | None = "2026-03-01T11:00:00Z") -> dict[str, Any]:
    conds = []
    if complete:
        conds.append({"type": "Complete", "status": "True", "lastTransitionTime": "2026-03-01T11:30:00Z"})
    if failed_reason:
        conds.append({"type": "Failed", "status": "True", "reason": failed_reason, "message": "boom",
                      "lastTransitionTime": "2026-03-01T11:40:00Z"})
    status: dict[str, Any] = {"active": active, "succeeded": succeeded, "failed": failed, "conditions": conds}
    if start:
        status["startTime"] = start
    if complete:
        status["completionTime"] = "2026-03-01T11:30:00Z"
    return status


def pod(name: str, phase: str, *, index: str | None = "0", message: str | None = None,
        waiting: tuple[str, str] | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {}
    if message is not None:
        state = {"terminated": {"exitCode": 0, "message": message}}
    if waiting is not None:
        state = {"waiting": {"reason": waiting[0], "message": waiting[1]}}
    annotations = {"batch.kubernetes.io/job-completion-index": index} if index is not None else {}
    return {"metadata": {"name": name, "annotations": annotations},
            "status": {"phase": phase, "containerStatuses": [{"name": "trainer", "state": state}]}}
