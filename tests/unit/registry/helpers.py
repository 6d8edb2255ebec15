"""Builders shared by the registry tests."""

from __future__ import annotations

from typing import Any

from modelyard.core.registry import VersionRecord

DIGEST = "sha256:" + "a" * 64
OTHER_DIGEST = "sha256:" + "b" * 64


def rec(name: str, created: str, phase: str | None = "Ready", *, version: str | None = None, model: str = "iris",
        keep_last: int | None = None, stalled: bool = False, deleting: bool = False,
        tags: dict[str, str] | None = None) -> VersionRecord:
    return VersionRecord(
        name=name, namespace="ns", uid="", model=model, version=version or name, created=created,
        uri="s3://b/m", digest=DIGEST, format="sklearn", phase=phase, stalled=stalled, deleting=deleting,
        tags=tags or {}, keep_last=keep_last,
    )


def t(day: int) -> str:
    return f"2026-01-{day:02d}T00:00:00Z"


def mv_body(name: str = "iris-v1", *, version: str = "v1", created: str = "2026-01-01T00:00:00Z",
            status: dict[str, Any] | None = None, finalizers: list[str] | None = None, deleting: bool = False,
            spec: dict[str, Any] | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "ns", "uid": f"uid-{name}", "generation": 1,
                            "resourceVersion": "7", "creationTimestamp": created,
                            "finalizers": finalizers if finalizers is not None else ["modelyard.io/protection"]}
    if deleting:
        meta["deletionTimestamp"] = "2026-02-01T00:00:00Z"
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "ModelVersion", "metadata": meta,
            "spec": spec or {"model": "iris", "version": version, "metrics": {"accuracy": 0.95},
                             "artifact": {"uri": "s3://bucket/iris/model.joblib", "digest": DIGEST,
                                          "format": "sklearn"}},
            **({"status": status} if status is not None else {})}


def isvc_body(name: str = "web", *, status: dict[str, Any] | None = None, deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "ns"}
    if deleting:
        meta["deletionTimestamp"] = "2026-02-01T00:00:00Z"
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "InferenceService", "metadata": meta,
            "spec": {"model": {"track": {"model": "iris"}}}, "status": status or {}}
