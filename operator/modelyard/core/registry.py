"""The model registry as the rest of the operator reads it: compact records and pure lookups.

ModelVersions are kept in a kopf index (``handlers/indexes.py``) as ``VersionRecord``s keyed by
(namespace, model), so a lookup is a dict access plus a scan of one model's versions, never a list
call per reconcile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class VersionRecord:
    """What the operator needs to know of one ModelVersion."""

    name: str
    namespace: str
    uid: str
    model: str
    version: str
    created: str  # RFC 3339, as the API server wrote it; sorts in time order
    uri: str
    digest: str
    format: str
    phase: str | None = None
    stalled: bool = False
    deleting: bool = False
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


def record_from_body(body: Mapping[str, Any]) -> VersionRecord | None:
    """The record of a ModelVersion body; None when its spec lacks what a record needs."""
    meta, spec, status = body.get("metadata", {}), body.get("spec") or {}, body.get("status") or {}
    artifact = spec.get("artifact") or {}
    try:
        return VersionRecord(
            name=meta["name"], namespace=meta.get("namespace", ""), uid=meta.get("uid", ""),
            model=spec["model"], version=str(spec["version"]), created=meta.get("creationTimestamp", ""),
            uri=artifact["uri"], digest=artifact["digest"], format=artifact.get("format", ""),
            phase=status.get("phase"),
            stalled=any(c.get("type") == "Stalled" and c.get("status") == "True"
                        for c in status.get("conditions", []) if isinstance(c, dict)),
            deleting=bool(meta.get("deletionTimestamp")),
            metrics={k: float(v) for k, v in (spec.get("metrics") or {}).items() if _is_number(v)},
            tags=dict(spec.get("tags") or {}),
        )
    except (KeyError, TypeError):
        return None


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def newest_first(records: Iterable[VersionRecord]) -> list[VersionRecord]:
    """Versions of a model, newest first (by creation time, then name for a stable order)."""
    return sorted(records, key=lambda r: (r.created, r.name), reverse=True)
