"""What InferenceServices do with ModelVersions, read (defensively) from the InferenceServices' own status.

The InferenceService controller never writes a ModelVersion; it records in ITS status what it serves and
what it refused. This module turns one InferenceService body into a ``Usage`` per ModelVersion it names,
which the kopf index ``inferenceservices_by_modelversion`` keeps keyed by (namespace, modelVersion).

Fields read (anything missing or malformed is skipped, never an error):

- ``status.stable`` / ``status.canary``: ``{modelVersion, digest, verified}`` (or a bare name) -> roles
  ``stable`` / ``canary``. ``verified: true`` with a ``digest`` (or ``verifiedDigest``) means a ready pod
  loaded the artifact and checked that digest.
- ``status.retiring[]`` ``{modelVersion}``: a version traffic has left whose Deployment is still there. One
  that was the stable (its newest ``history[]`` entry is ``Promoted``, or it has none) and that the service
  did not reject is the old stable of a promotion: the rollback target while it retires -> role
  ``rollback``. A superseded or rolled-back canary that is retiring is not.
- ``status.rejected``: names refused; ``status.rejections[]`` ``{modelVersion, reason, message, time,
  measurements}`` and ``status.history[]`` ``{modelVersion, outcome, message, time}`` give the details.

An InferenceService being deleted serves and holds nothing any more; its rejections still count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

STABLE, CANARY, ROLLBACK = "stable", "canary", "rollback"
SERVING_ROLES = (STABLE, CANARY)
_ROLE_FIELDS = (("stable", STABLE), ("canary", CANARY))


@dataclass(frozen=True)
class RejectionInfo:
    """One refusal of a version by an InferenceService."""

    reason: str
    message: str = ""
    time: str | None = None  # RFC 3339 as the InferenceService wrote it; None when it did not say
    measurements: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Usage:
    """What one InferenceService does with one ModelVersion."""

    inference_service: str
    roles: frozenset[str] = frozenset()
    verified_digests: frozenset[str] = frozenset()
    rejection: RejectionInfo | None = None

    @property
    def holds(self) -> bool:
        """Whether it serves the version or may roll back to it (deletion must wait)."""
        return bool(self.roles)


def usages_from_inferenceservice(body: Mapping[str, Any]) -> dict[str, Usage]:
    """Per ModelVersion name, what this InferenceService does with it.

    >>> u = usages_from_inferenceservice({"metadata": {"name": "web"}, "status": {
    ...     "stable": {"modelVersion": "v1", "digest": "sha256:ab", "verified": True},
    ...     "canary": {"modelVersion": "v2"}, "rejected": ["v0"]}})
    >>> sorted(u), sorted(u["v1"].roles), sorted(u["v1"].verified_digests), u["v0"].rejection.reason
    (['v0', 'v1', 'v2'], ['stable'], ['sha256:ab'], 'Rejected')
    """
    meta, status = _mapping(body.get("metadata")), _mapping(body.get("status"))
    name = meta.get("name")
    if not isinstance(name, str):
        return {}
    roles: dict[str, set[str]] = {}
    verified: dict[str, set[str]] = {}
    if not meta.get("deletionTimestamp"):
        _collect_roles(status, roles, verified)
    rejections = _collect_rejections(status)
    return {
        mv: Usage(name, frozenset(roles.get(mv, ())), frozenset(verified.get(mv, ())), rejections.get(mv))
        for mv in sorted(roles.keys() | rejections.keys())
    }


def _collect_roles(status: Mapping[str, Any], roles: dict[str, set[str]], verified: dict[str, set[str]]) -> None:
    for key, role in _ROLE_FIELDS:
        entry = status.get(key)
        mv = entry if isinstance(entry, str) else _mapping(entry).get("modelVersion")
        if not isinstance(mv, str) or not mv:
            continue
        roles.setdefault(mv, set()).add(role)
        digest = _verified_digest(_mapping(entry))
        if digest is not None:
            verified.setdefault(mv, set()).add(digest)
    for mv in calculate_rollback_targets(status):
        roles.setdefault(mv, set()).add(ROLLBACK)


def calculate_rollback_targets(status: Mapping[str, Any]) -> list[str]:
    """The retiring versions that were the stable before a promotion (the rollback window's targets).

    ``history[]`` is newest first: a retiring version whose newest entry is ``Promoted`` (or that has no
    entry left, the conservative reading) was the stable; ``Superseded`` or a rejection means a canary.

    >>> calculate_rollback_targets({"retiring": [{"modelVersion": "v1"}, {"modelVersion": "v3"}],
    ...     "history": [{"modelVersion": "v2", "outcome": "Promoted"}, {"modelVersion": "v3", "outcome": "Superseded"},
    ...                 {"modelVersion": "v1", "outcome": "Promoted"}]})
    ['v1']
    """
    rejected = {n for n in _list(status.get("rejected")) if isinstance(n, str)}
    newest: dict[str, Any] = {}
    for entry in _dicts(status.get("history")):
        newest.setdefault(_name(entry), entry.get("outcome"))
    names = [_name(e) for e in _dicts(status.get("retiring"))]
    return [n for n in names if n and n not in rejected and newest.get(n, "Promoted") == "Promoted"]


def _verified_digest(entry: Mapping[str, Any]) -> str | None:
    explicit = entry.get("verifiedDigest")
    if isinstance(explicit, str) and explicit:
        return explicit
    digest = entry.get("digest")
    return digest if entry.get("verified") is True and isinstance(digest, str) and digest else None


def _collect_rejections(status: Mapping[str, Any]) -> dict[str, RejectionInfo]:
    details = {_name(e): e for e in _dicts(status.get("rejections")) if _name(e)}
    history = {_name(e): e for e in _dicts(status.get("history")) if _name(e) and e.get("outcome") != "Promoted"}
    names = [n for n in _list(status.get("rejected")) if isinstance(n, str) and n]
    out: dict[str, RejectionInfo] = {}
    for mv in [*names, *details]:
        entry = details.get(mv) or history.get(mv) or {}
        out[mv] = RejectionInfo(
            reason=_reason(entry.get("reason") or entry.get("outcome")),
            message=_text(entry.get("message")),
            time=entry.get("time") if isinstance(entry.get("time"), str) else None,
            measurements=_measurements(entry.get("measurements")),
        )
    return out


def _measurements(raw: Any) -> dict[str, Any]:
    """``{metric: value}`` from a mapping, or from a list of ``{metric|name, value}`` records."""
    if isinstance(raw, Mapping):
        return {str(k): v for k, v in list(raw.items())[:16] if _is_scalar(v)}
    out: dict[str, Any] = {}
    for item in _dicts(raw)[:16]:
        key = item.get("metric") or item.get("name")
        if isinstance(key, str) and _is_scalar(item.get("value")):
            out[key] = item.get("value")
    return out


def _reason(raw: Any) -> str:
    text = "".join(ch for ch in str(raw or "") if ch.isalnum())
    return text[:1].upper() + text[1:128] if text and text[0].isalpha() else "Rejected"


def _text(raw: Any) -> str:
    return raw[:4096] if isinstance(raw, str) else ""


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool)


def _name(entry: Mapping[str, Any]) -> str:
    mv = entry.get("modelVersion")
    return mv if isinstance(mv, str) else ""


def _mapping(raw: Any) -> Mapping[str, Any]:
    return raw if isinstance(raw, Mapping) else {}


def _list(raw: Any) -> list[Any]:
    return list(raw) if isinstance(raw, list | tuple) else []


def _dicts(raw: Any) -> list[Mapping[str, Any]]:
    return [e for e in _list(raw) if isinstance(e, Mapping)]


def holders(usages: Iterable[Usage]) -> list[str]:
    """Names of the InferenceServices that hold the version, sorted."""
    return sorted({u.inference_service for u in usages if u.holds})


def recorded_holders(body: Mapping[str, Any]) -> list[str]:
    """InferenceServices a ModelVersion's status names (heldBy, servedBy): the ones to nudge it when they change.

    >>> recorded_holders({"status": {"heldBy": ["a"], "servedBy": [{"inferenceService": "b", "role": "canary"}]}})
    ['a', 'b']
    """
    status = _mapping(body.get("status"))
    held = [n for n in _list(status.get("heldBy")) if isinstance(n, str)]
    served = [e.get("inferenceService") for e in _dicts(status.get("servedBy"))]
    return sorted({n for n in [*held, *served] if isinstance(n, str) and n})


def calculate_usage_signal(body: Mapping[str, Any], event_type: str | None) -> tuple[tuple[str, Usage], ...] | None:
    """What the ModelVersions learn from one InferenceService event: its usages, in a comparable form.
    None when the service is gone (its versions must hear of that)."""
    if event_type == "DELETED":
        return None
    return tuple(sorted(usages_from_inferenceservice(body).items()))
