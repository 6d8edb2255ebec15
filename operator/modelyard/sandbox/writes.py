"""Pieces of the write path: options, results, what a write may change, finalizers, managedFields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelyard.sandbox import patches
from modelyard.sandbox.errors import conflict, invalid
from modelyard.sandbox.objects import SERVER_METADATA, clone, meta, name_of
from modelyard.sandbox.resources import ResourceInfo

JsonDict = dict[str, Any]


@dataclass
class WriteOptions:
    """Query parameters that shape a write."""

    dry_run: bool = False
    field_validation: str = "Warn"
    field_manager: str | None = None
    force: bool = False


@dataclass
class WriteResult:
    """The object as written, the warnings to send back, and whether it was created."""

    obj: JsonDict
    warnings: list[str] = field(default_factory=list)
    created: bool = False


def carry_over(info: ResourceInfo, old: JsonDict, candidate: JsonDict, subresource: str) -> JsonDict:
    """Keep what this kind of write may not change: server metadata, and status or the rest."""
    sent_rv = meta(candidate).get("resourceVersion")
    if sent_rv and sent_rv != meta(old).get("resourceVersion"):
        raise conflict(info.plural, info.group, name_of(old))
    if subresource == "status":
        new: JsonDict = clone(old)
        replace_key(new, "status", candidate)
        return new
    new = candidate
    md, old_md = meta(new), meta(old)
    for key in SERVER_METADATA:
        replace_key(md, key, old_md)
    if info.has_status:
        replace_key(new, "status", old)
    return new


def record_manager(
    info: ResourceInfo, obj: JsonDict, opts: WriteOptions, operation: str, subresource: str, now: str
) -> None:
    """Record the manager in ``metadata.managedFields`` (its fields approximated as the whole object)."""
    if not opts.field_manager:
        return
    md = meta(obj)
    entries = [
        e
        for e in md.get("managedFields") or []
        if (e.get("manager"), e.get("operation"), e.get("subresource", ""))
        != (opts.field_manager, operation, subresource)
    ]
    fields = {
        k: v for k, v in obj.items() if k != "metadata" and (k == "status") == (subresource == "status")
    }
    entry: JsonDict = {
        "manager": opts.field_manager,
        "operation": operation,
        "apiVersion": info.api_version,
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": patches.managed_fields_set(fields),
    }
    if subresource:
        entry["subresource"] = subresource
    md["managedFields"] = [*entries, entry]


def replace_key(target: JsonDict, key: str, source: JsonDict) -> None:
    if key in source:
        target[key] = clone(source[key])
    else:
        target.pop(key, None)


def check_finalizers(info: ResourceInfo, old: JsonDict, new: JsonDict) -> None:
    if not meta(old).get("deletionTimestamp"):
        return
    added = set(meta(new).get("finalizers") or []) - set(meta(old).get("finalizers") or [])
    if added:
        cause = {
            "reason": "FieldValueForbidden",
            "field": "metadata.finalizers",
            "message": "Forbidden: no new finalizers can be added if the object is being deleted, found "
            f"new finalizers {sorted(added)}",
        }
        raise invalid(info.kind, info.group, name_of(old), [cause])
