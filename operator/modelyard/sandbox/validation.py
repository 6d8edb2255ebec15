"""OpenAPI v3 validation of custom resources with the real server's field paths and messages.

Covers: ``type`` (``integer`` vs ``number``, ``x-kubernetes-int-or-string``, ``nullable``,
``x-kubernetes-preserve-unknown-fields`` without a type), ``required``, ``enum``, ``minimum``/``maximum``
(and exclusive), ``multipleOf``, ``minLength``/``maxLength``, ``minItems``/``maxItems``,
``minProperties``/``maxProperties``, ``pattern``, ``format: date-time`` (loosely) and
``x-kubernetes-list-type: set`` uniqueness. Not covered: ``allOf``/``anyOf``/``oneOf``/``not``, other
formats, validation ratcheting (unchanged invalid fields are refused here, accepted by 1.30+ servers).
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from modelyard.sandbox.schema import PRESERVE, ROOT_KEEP, child_path, item_path

JsonDict = dict[str, Any]
Cause = dict[str, str]

_TYPE_NAMES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def go_value(value: Any) -> str:
    """Render a value the way the server's messages quote it."""
    if isinstance(value, str | bool | int | float) or value is None:
        return json.dumps(value)
    return json.dumps(_TYPE_NAMES.get(type(value), "object"))


def type_name(value: Any) -> str:
    """JSON type name of a Python value."""
    return "null" if value is None else _TYPE_NAMES.get(type(value), "object")


def cause(reason: str, path: str, message: str) -> Cause:
    """One ``details.causes[]`` entry."""
    return {"reason": reason, "message": message, "field": path}


def _type_ok(schema: JsonDict, value: Any) -> bool:
    expected = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, int | str) and not isinstance(value, bool)
    if not expected:
        return True
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    }
    check = checks.get(expected)
    return check(value) if check else True


def validate(schema: JsonDict, value: Any, path: str = "") -> list[Cause]:
    """All schema violations of ``value``, as causes with field paths like ``spec.tags[0]``."""
    if value is None:
        if schema.get("nullable") or (schema.get(PRESERVE) and not schema.get("type")):
            return []
        return [
            cause(
                "FieldValueTypeInvalid",
                path,
                f'Invalid value: "null": {path} in body must be of type '
                f'{schema.get("type", "object")}: "null"',
            )
        ]
    if not _type_ok(schema, value):
        expected = "integer or string" if schema.get("x-kubernetes-int-or-string") else schema.get("type")
        return [
            cause(
                "FieldValueTypeInvalid",
                path,
                f'Invalid value: "{type_name(value)}": {path} in body must '
                f'be of type {expected}: "{type_name(value)}"',
            )
        ]
    errors = _check_enum(schema, value, path)
    if isinstance(value, dict):
        errors += _check_object(schema, value, path)
    elif isinstance(value, list):
        errors += _check_array(schema, value, path)
    elif isinstance(value, str):
        errors += _check_string(schema, value, path)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        errors += _check_number(schema, value, path)
    return errors


def _check_enum(schema: JsonDict, value: Any, path: str) -> list[Cause]:
    enum = schema.get("enum")
    if enum is None or value in enum:
        return []
    supported = ", ".join(json.dumps(e) for e in enum)
    return [
        cause(
            "FieldValueNotSupported",
            path,
            f"Unsupported value: {go_value(value)}: supported values: {supported}",
        )
    ]


def _check_object(schema: JsonDict, value: JsonDict, path: str) -> list[Cause]:
    errors = [
        cause("FieldValueRequired", child_path(path, req), "Required value")
        for req in schema.get("required") or []
        if req not in value
    ]
    props = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        if not path and key in ROOT_KEEP:
            continue
        if key in props:
            errors += validate(props[key], item, child_path(path, key))
        elif isinstance(extra, dict):
            errors += validate(extra, item, item_path(path, key))
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        errors.append(
            cause(
                "FieldValueTooMany",
                path,
                f"Too many: {len(value)}: must have at most {schema['maxProperties']} items",
            )
        )
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        errors.append(
            cause(
                "FieldValueInvalid",
                path,
                f"Invalid value: {len(value)}: {path} in body should "
                f"have at least {schema['minProperties']} properties",
            )
        )
    return errors


def _check_array(schema: JsonDict, value: list[Any], path: str) -> list[Cause]:
    errors: list[Cause] = []
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(
            cause(
                "FieldValueTooMany",
                path,
                f"Too many: {len(value)}: must have at most {schema['maxItems']} items",
            )
        )
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(
            cause(
                "FieldValueInvalid",
                path,
                f"Invalid value: {len(value)}: {path} in body should "
                f"have at least {schema['minItems']} items",
            )
        )
    if schema.get("x-kubernetes-list-type") == "set" or schema.get("uniqueItems"):
        seen: list[Any] = []
        for index, item in enumerate(value):
            if item in seen:
                errors.append(
                    cause("FieldValueDuplicate", item_path(path, index), f"Duplicate value: {go_value(item)}")
                )
            seen.append(item)
    if isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            errors += validate(schema["items"], item, item_path(path, index))
    return errors


def _check_string(schema: JsonDict, value: str, path: str) -> list[Cause]:
    errors: list[Cause] = []
    shown = go_value(value)
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(
            cause("FieldValueTooLong", path, f"Too long: may not be more than {schema['maxLength']} bytes")
        )
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.append(
            cause(
                "FieldValueInvalid",
                path,
                f"Invalid value: {shown}: {path} in body should be at least {schema['minLength']} chars long",
            )
        )
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(
            cause(
                "FieldValueInvalid",
                path,
                f"Invalid value: {shown}: {path} in body should match '{schema['pattern']}'",
            )
        )
    if schema.get("format") == "date-time" and not _is_date_time(value):
        errors.append(
            cause(
                "FieldValueInvalid",
                path,
                f"Invalid value: {shown}: {path} in body must be of type date-time: {shown}",
            )
        )
    return errors


def _is_date_time(text: str) -> bool:
    try:
        datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return "T" in text.upper()


def _bound_error(schema: JsonDict, value: float, path: str, key: str) -> Cause | None:
    """A ``minimum``/``maximum`` violation (honouring the boolean ``exclusive*`` of OpenAPI 3.0)."""
    if key not in schema:
        return None
    limit = schema[key]
    exclusive = bool(schema.get("exclusiveMinimum" if key == "minimum" else "exclusiveMaximum"))
    words = "greater than" if key == "minimum" else "less than"
    beyond = value < limit if key == "minimum" else value > limit
    if not (beyond or (exclusive and value == limit)):
        return None
    relation = words if exclusive else f"{words} or equal to"
    return cause(
        "FieldValueInvalid",
        path,
        f"Invalid value: {go_value(value)}: {path} in body should be {relation} {limit}",
    )


def _check_number(schema: JsonDict, value: float, path: str) -> list[Cause]:
    errors = [c for key in ("minimum", "maximum") if (c := _bound_error(schema, value, path, key))]
    multiple = schema.get("multipleOf")
    if multiple and (value / multiple) != int(value / multiple):
        errors.append(
            cause(
                "FieldValueInvalid",
                path,
                f"Invalid value: {go_value(value)}: {path} in body should be a multiple of {multiple}",
            )
        )
    return errors
