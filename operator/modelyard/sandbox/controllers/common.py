"""Small pure helpers shared by the simulated controllers: time, conditions, owner references, pods."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

JsonDict = dict[str, Any]


def rfc3339(t: datetime) -> str:
    """Seconds precision, 'Z' suffix, as the API server writes times.

    >>> rfc3339(datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC))
    '2026-01-02T03:04:05Z'
    """
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def condition(type_: str, status: str, reason: str, message: str, now: datetime, *,
              update_key: str = "lastProbeTime") -> JsonDict:
    """A condition as the built-in controllers write it (Deployments say ``lastUpdateTime``)."""
    t = rfc3339(now)
    return {"type": type_, "status": status, "reason": reason, "message": message,
            update_key: t, "lastTransitionTime": t}


def true_condition(status: Mapping[str, Any], type_: str) -> JsonDict | None:
    for c in status.get("conditions") or []:
        if c.get("type") == type_ and c.get("status") == "True":
            return dict(c)
    return None


def set_conditions(status: JsonDict, *new: JsonDict, only_if_present: bool = False) -> None:
    """Put ``new`` conditions in ``status``, keeping the old times when nothing moved.

    ``lastTransitionTime`` moves only when the status flips; the other times (``lastProbeTime``,
    ``lastUpdateTime``) only when the status, reason or message changes, so a steady object is not rewritten.
    """
    conditions: list[JsonDict] = list(status.get("conditions") or [])
    for cond in new:
        old = next((c for c in conditions if c.get("type") == cond["type"]), None)
        if old is None:
            if not only_if_present:
                conditions.append(cond)
            continue
        merged = dict(cond)
        if old.get("status") == cond["status"]:
            merged["lastTransitionTime"] = old.get("lastTransitionTime", cond["lastTransitionTime"])
            if (old.get("reason"), old.get("message")) == (cond.get("reason"), cond.get("message")):
                merged.update({k: v for k, v in old.items() if k.startswith("last")})
        conditions[conditions.index(old)] = merged
    if conditions:
        status["conditions"] = conditions


def owner_ref(owner: Mapping[str, Any], api_version: str, kind: str) -> JsonDict:
    md = owner["metadata"]
    return {"apiVersion": api_version, "kind": kind, "name": md["name"], "uid": md.get("uid", ""),
            "controller": True, "blockOwnerDeletion": True}


def controller_uid(obj: Mapping[str, Any]) -> str | None:
    """The uid of the object's controlling owner, if any."""
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            uid: str = ref.get("uid", "")
            return uid
    return None


def owned_by(objs: list[JsonDict], owner: Mapping[str, Any]) -> list[JsonDict]:
    uid = owner.get("metadata", {}).get("uid")
    return [o for o in objs if controller_uid(o) == uid]


def is_active(pod: Mapping[str, Any]) -> bool:
    """Not terminal, not being deleted."""
    phase = pod.get("status", {}).get("phase", "Pending")
    return phase not in ("Succeeded", "Failed") and not pod.get("metadata", {}).get("deletionTimestamp")


def is_ready(pod: Mapping[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in pod.get("status", {}).get("conditions") or [])


def matches_selector(labels: Mapping[str, str], selector: Mapping[str, Any]) -> bool:
    """``matchLabels`` and ``matchExpressions`` (In, NotIn, Exists, DoesNotExist) of a LabelSelector."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator"), expr.get("values") or []
        ok = {"In": key in labels and labels[key] in values, "NotIn": labels.get(key) not in values,
              "Exists": key in labels, "DoesNotExist": key not in labels}.get(op, False)
        if not ok:
            return False
    return True
