"""PATCH semantics: JSON merge patch, JSON patch, strategic merge patch and apply (server-side apply).

* ``application/merge-patch+json`` — RFC 7386, exact.
* ``application/json-patch+json`` — RFC 6902 through the ``jsonpatch`` package.
* ``application/strategic-merge-patch+json`` — approximated: a merge patch where lists of objects whose
  field has a known patch merge key (``containers`` by ``name``, ``volumeMounts`` by ``mountPath``...)
  are merged item by item; ``$patch: delete|replace``, ``$setElementOrder/*``, ``$retainKeys`` and
  ``$deleteFromPrimitiveList/*`` directives are honoured loosely. Real servers read merge keys from the
  Go types; CRs refuse strategic merge patches (415), as here.
* ``application/apply-patch+yaml`` — server-side apply, approximated as "create if absent, else a
  strategic merge of the applied configuration". Real SSA also removes fields the manager stopped
  applying and reports conflicts between managers; we do neither (``force`` is accepted and ignored).
"""

from __future__ import annotations

import json
from typing import Any

import jsonpatch
import yaml

from modelyard.sandbox.errors import ApiError, bad_request
from modelyard.sandbox.objects import clone

JsonDict = dict[str, Any]

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
PATCH_TYPES = (MERGE, JSON_PATCH, STRATEGIC, APPLY)

# Patch merge keys of the built-in types, by field name (the Go struct tags' patchMergeKey).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge recursively, ``null`` deletes, anything else replaces.

    Returns a new value; ``target`` and ``patch`` are left untouched.
    """
    return _merge(clone(target), patch) if isinstance(patch, dict) else clone(patch)


def _merge(target: Any, patch: Any) -> Any:
    """Merge into ``target`` in place (it is a copy the caller owns)."""
    if not isinstance(patch, dict):
        return clone(patch)
    result = target if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    return result


def json_patch(target: JsonDict, operations: Any) -> JsonDict:
    """RFC 6902 JSON patch. A failed operation is a 422 like the real server's."""
    if not isinstance(operations, list):
        raise bad_request("json patch must be a list of operations")
    try:
        result = jsonpatch.apply_patch(target, operations, in_place=False)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, KeyError, TypeError) as exc:
        raise ApiError(422, f"the server rejected our request due to an error in our request: {exc}") from exc
    if not isinstance(result, dict):
        raise ApiError(422, "json patch did not produce an object")
    return result


def _merge_list(field: str, live: Any, patch: list[Any]) -> list[Any]:
    """Merge a list by its merge key if it has one and holds objects, else replace it."""
    key = MERGE_KEYS.get(field)
    if key is None or not isinstance(live, list) or not all(isinstance(i, dict) for i in patch):
        return [strip_directives(i) for i in patch]
    result = list(live)  # a copy the caller owns
    for item in patch:
        pos = next(
            (n for n, cur in enumerate(result) if isinstance(cur, dict) and cur.get(key) == item.get(key)),
            None,
        )
        if item.get("$patch") == "delete":
            if pos is not None:
                result.pop(pos)
        elif pos is None:
            result.append(strip_directives(item))
        else:
            result[pos] = _strategic(result[pos], item)
    return result


def strip_directives(value: Any) -> Any:
    """Drop ``$patch``-style directive keys from a value that is being inserted whole."""
    if isinstance(value, dict):
        return {k: strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [strip_directives(v) for v in value]
    return value


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """Approximate strategic merge patch (see the module docstring); ``target`` is left untouched."""
    if not isinstance(patch, dict) or patch.get("$patch") == "replace":
        return strip_directives(patch)
    return _strategic(clone(target), patch)


def _strategic(target: Any, patch: Any) -> Any:
    """Strategic merge into ``target`` in place (it is a copy the caller owns)."""
    if not isinstance(patch, dict) or patch.get("$patch") == "replace":
        return strip_directives(patch)
    result = target if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            result[field] = [v for v in result.get(field) or [] if v not in value]
        elif key.startswith("$"):
            continue
        elif value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        else:
            result[key] = _strategic(result.get(key), value)
    return result


# libyaml's loader when PyYAML was built with it: the pure-Python one costs milliseconds per body.
YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def decode_patch(content_type: str, body: bytes) -> Any:
    """Decode a patch body: JSON, or for apply YAML when the body is not JSON (clients mostly send JSON)."""
    try:
        if content_type == APPLY:
            return _decode_apply(body)
        return json.loads(body or b"null")
    except (ValueError, yaml.YAMLError) as exc:
        raise bad_request(f"error decoding patch: {exc}") from exc


def _decode_apply(body: bytes) -> Any:
    if body.lstrip()[:1] in (b"{", b"["):
        try:
            return json.loads(body)
        except ValueError:
            pass  # YAML flow style that is not JSON ({a: 1}): let YAML have it
    return yaml.load(body.decode("utf-8"), Loader=YAML_LOADER)


def apply_patch(content_type: str, target: JsonDict, patch: Any) -> JsonDict:
    """Apply a decoded patch of the given content type to a copy of ``target``."""
    if content_type == JSON_PATCH:
        return json_patch(target, patch)
    if not isinstance(patch, dict):
        raise bad_request("patch body must be a JSON object")
    merge = merge_patch if content_type == MERGE else strategic_merge_patch
    result = merge(target, patch)
    if not isinstance(result, dict):
        raise bad_request("patch did not produce an object")
    return result


def managed_fields_set(value: Any) -> Any:
    """A FieldsV1 set (``{"f:spec": {"f:x": {}}}``) for an applied configuration; lists are leaves."""
    if isinstance(value, dict):
        return {f"f:{k}": managed_fields_set(v) for k, v in value.items() if k not in ("apiVersion", "kind")}
    return {}
