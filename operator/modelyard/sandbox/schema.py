"""Structural-schema processing of custom resources: pruning and defaulting, as kube-apiserver does.

Order on every write (create, update, patch, status): unknown fields are pruned (or reported, see
``fieldValidation``), non-nullable ``null`` values are dropped, then ``default``s are applied — nested,
top-down, only inside objects that exist, exactly like apiextensions-apiserver's structural defaulting.
``apiVersion``, ``kind`` and ``metadata`` are kept at the root; unknown ``metadata`` keys are pruned too.
"""

from __future__ import annotations

import copy
from typing import Any

JsonDict = dict[str, Any]

PRESERVE = "x-kubernetes-preserve-unknown-fields"
ROOT_KEEP = ("apiVersion", "kind", "metadata")
OBJECT_META_KEYS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)


def child_path(path: str, key: str) -> str:
    """``spec`` + ``workers`` -> ``spec.workers``."""
    return f"{path}.{key}" if path else key


def item_path(path: str, index: int | str) -> str:
    """``spec.tags`` + 0 -> ``spec.tags[0]``."""
    return f"{path}[{index}]"


def _property_schema(schema: JsonDict, key: str) -> JsonDict | None:
    """The schema a key of an object falls under, or None if the key is unknown."""
    props = schema.get("properties") or {}
    if key in props:
        return props[key]  # type: ignore[no-any-return]
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        return extra
    if extra is True or schema.get(PRESERVE):
        return {PRESERVE: True}
    return None


def prune(schema: JsonDict, value: Any, path: str = "") -> list[str]:
    """Drop unknown fields and non-nullable nulls from ``value`` in place; return unknown field paths."""
    unknown: list[str] = []
    if isinstance(value, dict) and (
        schema.get("type") == "object"
        or "properties" in schema
        or schema.get(PRESERVE)
        or "additionalProperties" in schema
    ):
        for key in list(value):
            if not path and key in ROOT_KEEP:
                if key == "metadata" and isinstance(value[key], dict):
                    unknown += _prune_metadata(value[key])
                continue
            sub = _property_schema(schema, key)
            if sub is None:
                if not schema.get(PRESERVE):
                    unknown.append(child_path(path, key))
                    del value[key]
                continue
            if value[key] is None and not sub.get("nullable") and not sub.get(PRESERVE):
                del value[key]
                continue
            unknown += prune(sub, value[key], child_path(path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            unknown += prune(schema["items"], item, item_path(path, index))
    return unknown


def _prune_metadata(md: JsonDict) -> list[str]:
    unknown = [k for k in md if k not in OBJECT_META_KEYS]
    for key in unknown:
        del md[key]
    return [f"metadata.{k}" for k in unknown]


def apply_defaults(schema: JsonDict, value: Any) -> None:
    """Fill ``default``s into ``value`` in place, top-down, inside existing objects and array items."""
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
        for key, item in value.items():
            sub = _property_schema(schema, key)
            if sub is not None and not (key in ROOT_KEEP and "properties" not in sub):
                apply_defaults(sub, item)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(schema["items"], item)
