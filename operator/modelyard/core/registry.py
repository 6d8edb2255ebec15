"""The model registry as the rest of the operator reads it: compact records and pure lookups.

ModelVersions are kept in a kopf index (``handlers/indexes.py``) as ``VersionRecord``s keyed by
(namespace, model), so a lookup is a dict access plus a scan of one model's versions, never a list
call per reconcile. Every function here is linear in the versions of one model.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
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
    keep_last: int | None = None  # spec.retention.keepLast, when the version carries a retention policy

    @cached_property
    def order(self) -> tuple[str, str]:
        """Sort key in time order: creation time, then name (creation times have one-second resolution)."""
        return (self.created, self.name)


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
            keep_last=_keep_last(spec.get("retention")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _keep_last(retention: Any) -> int | None:
    if not isinstance(retention, Mapping):
        return None
    return int(retention.get("keepLast", 10))


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


def is_selectable(record: VersionRecord) -> bool:
    """Whether an InferenceService may pick this version: Ready and not Stalled, or Rejected (a rejection
    counts only for the InferenceServices that made it: each passes its own ``rejected`` to
    ``select_latest``); never Pending, a duplicate, invalid, Retired or being deleted."""
    if record.deleting:
        return False
    return record.phase == "Rejected" or (record.phase == "Ready" and not record.stalled)


def select_latest(
    records: Iterable[VersionRecord],
    model: str,
    *,
    tags: Mapping[str, str] | None = None,
    rejected: Collection[str] = (),
    where: Callable[[VersionRecord], bool] | None = None,
) -> VersionRecord | None:
    """The newest selectable version of ``model`` whose tags include ``tags``, not named in ``rejected``.

    ``records`` is what the index holds for (namespace, model); ``where`` is an extra test such as
    offline gates; ``rejected`` is what THIS InferenceService refused (its ``status.rejected``). A version
    another service rejected (phase Rejected) is still a candidate; Retired, Pending, Stalled (duplicate,
    invalid) and deleting versions are never chosen.

    >>> mk = lambda n, t, p="Ready", **kw: VersionRecord(n, "ns", "", "iris", n, t, "s3://b/m", "", "", p, **kw)
    >>> rs = [mk("v1", "2026-01-01T00:00:00Z"), mk("v2", "2026-01-02T00:00:00Z"),
    ...       mk("v3", "2026-01-03T00:00:00Z", "Rejected", stalled=True)]
    >>> select_latest(rs, "iris").name
    'v3'
    >>> select_latest(rs, "iris", rejected={"v3"}).name
    'v2'
    >>> select_latest(rs, "iris", tags={"stage": "prod"}) is None
    True
    """
    best: VersionRecord | None = None
    wanted = list((tags or {}).items())
    for r in records:
        if r.deleting or r.model != model or r.name in rejected:
            continue
        if r.phase != "Rejected" and (r.phase != "Ready" or r.stalled):
            continue  # is_selectable, inlined: this loop runs over every version of the model
        if (wanted and any(r.tags.get(k) != v for k, v in wanted)) or (where is not None and not where(r)):
            continue
        if best is None or r.order > best.order:
            best = r
    return best


def calculate_originals(records: Iterable[VersionRecord]) -> dict[str, VersionRecord]:
    """Per version string, the ModelVersion that claimed it first; any other claimant is a duplicate."""
    first: dict[str, VersionRecord] = {}
    for r in records:
        seen = first.get(r.version)
        if seen is None or r.order < seen.order:
            first[r.version] = r
    return first


def find_original(record: VersionRecord, siblings: Iterable[VersionRecord]) -> VersionRecord | None:
    """The earlier ModelVersion ``record`` duplicates (same model and version), or None if it is the original."""
    claimants = [r for r in siblings if r.version == record.version]
    original = calculate_originals([*claimants, record]).get(record.version)
    return None if original is None or original.name == record.name else original


def calculate_keep_last(siblings: Iterable[VersionRecord]) -> int | None:
    """The retention of a model: the keepLast of its newest original version (None: keep everything)."""
    live = [r for r in calculate_originals(siblings).values() if not r.deleting]
    return max(live, key=lambda r: r.order).keep_last if live else None


def should_retire(record: VersionRecord, siblings: Iterable[VersionRecord], *, protected: bool) -> bool:
    """Whether retention retires ``record``: at least keepLast newer originals exist, and nothing holds it.

    Duplicates and versions being deleted neither count nor are retired; protected versions (served,
    or a rollback target) are never retired but still count, so they do not make room for older ones.

    >>> mk = lambda n, t, k=None: VersionRecord(n, "ns", "", "iris", n, t, "s3://b/m", "", "", keep_last=k)
    >>> rs = [mk("v1", "1"), mk("v2", "2"), mk("v3", "3", k=2)]
    >>> [should_retire(r, rs, protected=False) for r in rs]
    [True, False, False]
    >>> should_retire(rs[0], rs, protected=True)
    False
    """
    siblings = list(siblings)
    if protected or record.deleting or all(r.keep_last is None for r in [*siblings, record]):
        return False
    originals = [r for r in calculate_originals([*siblings, record]).values() if not r.deleting]
    if all(r.name != record.name for r in originals):
        return False
    keep = max(originals, key=lambda r: r.order).keep_last
    newer = sum(1 for r in originals if r.order > record.order)
    return keep is not None and newer >= keep


def calculate_sibling_nudges(changed: VersionRecord, siblings: Iterable[VersionRecord]) -> list[str]:
    """Siblings whose status ``changed`` (a version just added to, or deleted from, ``siblings``) may change.

    The other claimants of its version (which of them is the original may change) and the versions the
    retention policy now puts beyond keepLast and that are not Retired yet (a protected one decides no
    change and writes nothing). Linear in the model's versions, plus one sort.

    >>> mk = lambda n, t, v=None, k=None, p="Ready": VersionRecord(n, "ns", "", "iris", v or n, t, "u", "", "", p,
    ...                                                           keep_last=k)
    >>> rs = [mk("a", "1", p="Retired"), mk("b", "2"), mk("c", "3"), mk("d", "4", k=2), mk("d2", "5", v="d")]
    >>> calculate_sibling_nudges(rs[-1], rs)
    ['b', 'd']
    """
    siblings = list(siblings)
    claimants = {r.name for r in siblings if r.version == changed.version}
    live = sorted((r for r in calculate_originals(siblings).values() if not r.deleting),
                  key=lambda r: r.order, reverse=True)
    keep = live[0].keep_last if live else None
    beyond = {r.name for r in live[keep:] if r.phase != "Retired"} if keep is not None else set()
    return sorted((claimants | beyond) - {changed.name})


def calculate_slim_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a ModelVersion body a decision reads (for the ``modelversions_by_name`` index).

    Dropped: managedFields, labels, kopf's annotations (one holds a copy of the spec), ``status.kopf``.
    """
    meta = body.get("metadata") or {}
    kept = {k: meta[k] for k in _SLIM_META if k in meta}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k.startswith("modelyard.io/")}
    if annotations:
        kept["annotations"] = annotations
    status = {k: v for k, v in (body.get("status") or {}).items() if k != "kopf"}
    return copy.deepcopy({"apiVersion": body.get("apiVersion"), "kind": body.get("kind"), "metadata": kept,
                          "spec": body.get("spec"), **({"status": status} if status else {})})


_SLIM_META = ("name", "namespace", "uid", "generation", "resourceVersion", "creationTimestamp",
              "deletionTimestamp", "finalizers")
