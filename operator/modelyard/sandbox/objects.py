"""Small helpers on object dicts: metadata, timestamps, names, generation, no-op detection."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from modelyard.sandbox.errors import ApiError, bad_request, invalid
from modelyard.sandbox.resources import ResourceInfo

JsonDict = dict[str, Any]
Clock = Callable[[], datetime.datetime]

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

# Metadata the server owns: a client's value is ignored on create and carried over on update.
SERVER_METADATA = (
    "uid",
    "creationTimestamp",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)


def utcnow() -> datetime.datetime:
    """The default clock."""
    return datetime.datetime.now(datetime.UTC)


def timestamp(clock: Clock) -> str:
    """RFC 3339 with second precision, as ``metav1.Time`` serialises."""
    return clock().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(obj: JsonDict) -> JsonDict:
    """The object's metadata dict, created if missing."""
    md = obj.get("metadata")
    if not isinstance(md, dict):
        md = obj["metadata"] = {}
    return md


def name_of(obj: JsonDict) -> str:
    """metadata.name or ""."""
    return str(meta(obj).get("name") or "")


def check_name(info: ResourceInfo, name: str) -> None:
    """Refuse names a real server refuses (DNS-1123 subdomain; label for namespaces)."""
    rule, what = (
        (_DNS1123_LABEL, "label") if info.plural == "namespaces" else (_DNS1123_SUBDOMAIN, "subdomain")
    )
    if len(name) <= 253 and rule.match(name):
        return
    msg = (
        f'Invalid value: "{name}": a lowercase RFC 1123 {what} must consist of lower case alphanumeric '
        "characters, '-' or '.', and must start and end with an alphanumeric character"
    )
    cause = {"reason": "FieldValueInvalid", "message": msg, "field": "metadata.name"}
    raise invalid(info.kind, info.group, name, [cause])


def check_identity(info: ResourceInfo, obj: JsonDict, namespace: str, name: str | None) -> None:
    """apiVersion/kind/namespace/name in the body must agree with the URL; fill what is missing."""
    if not isinstance(obj, dict):
        raise bad_request("the body of the request must be a JSON object")
    kind = obj.setdefault("kind", info.kind)
    if kind != info.kind:
        raise bad_request(
            f"the kind of the provided object ({kind}) does not match the resource ({info.kind})"
        )
    obj["apiVersion"] = info.api_version
    md = meta(obj)
    if info.namespaced:
        if md.get("namespace") and md["namespace"] != namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        md["namespace"] = namespace
    else:
        md.pop("namespace", None)
    if name is not None and md.get("name") and md["name"] != name:
        raise bad_request(
            f"the name of the object ({md['name']}) does not match the name on the URL ({name})"
        )
    if name is not None:
        md["name"] = name


def spec_part(info: ResourceInfo, obj: JsonDict) -> JsonDict:
    """What ``metadata.generation`` tracks: everything but metadata (and status with the subresource)."""
    skip = {"metadata", "apiVersion", "kind"} | ({"status"} if info.has_status else set())
    return {k: v for k, v in obj.items() if k not in skip}


NOT_COMPARED = frozenset({"resourceVersion", "managedFields"})


def same_but_bookkeeping(new: JsonDict, old: JsonDict) -> bool:
    """Whether two objects differ in nothing but resourceVersion and managedFields (a no-op write)."""
    if new.keys() - {"metadata"} != old.keys() - {"metadata"}:
        return False
    if any(new[k] != old[k] for k in new if k != "metadata"):
        return False
    md, old_md = new.get("metadata") or {}, old.get("metadata") or {}
    keys = (md.keys() | old_md.keys()) - NOT_COMPARED
    return all(k in md and k in old_md and md[k] == old_md[k] for k in keys)


def clone(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars): about twice as fast as ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def view(info: ResourceInfo, obj: JsonDict) -> JsonDict:
    """A copy of a stored object as seen through one version of its resource."""
    out: JsonDict = clone(obj)
    out["apiVersion"] = info.api_version
    out["kind"] = info.kind
    return out


def require_dict(value: Any, what: str) -> JsonDict:
    """A 400 unless ``value`` is an object."""
    if not isinstance(value, dict):
        raise bad_request(f"{what} must be a JSON object")
    return value


def forbidden(message: str) -> ApiError:
    """403 Forbidden."""
    return ApiError(403, message)
