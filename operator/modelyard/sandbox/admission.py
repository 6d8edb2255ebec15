"""Admission of a write: metadata checks, and for custom resources the CRD schema.

``fieldValidation`` (a query parameter) decides what happens to unknown fields, as on a real server:
``Strict`` refuses them with ``400 BadRequest`` (``strict decoding error: unknown field "spec.x"`` —
that is the real server's code, not 422), ``Warn`` (the default) drops them and says so in ``Warning``
headers, ``Ignore`` drops them silently.
"""

from __future__ import annotations

from typing import Any

from modelyard.sandbox import cel, crds
from modelyard.sandbox.errors import ApiError, invalid
from modelyard.sandbox.objects import meta, name_of
from modelyard.sandbox.resources import Registry, ResourceInfo
from modelyard.sandbox.schema import apply_defaults, prune
from modelyard.sandbox.validation import Cause, cause, validate

JsonDict = dict[str, Any]
CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")


def admit(
    registry: Registry,
    info: ResourceInfo,
    obj: JsonDict,
    old: JsonDict | None,
    subresource: str,
    field_validation: str,
) -> list[str]:
    """Check (and default/prune, in place) an object about to be written; return warnings."""
    causes = _check_metadata(obj)
    if causes:
        raise invalid(info.kind, info.group, name_of(obj), causes)
    warnings: list[str] = []
    if info.schema is not None:
        warnings = _admit_custom(info, obj, old, field_validation)
    if info.storage_key == CRD_KEY and subresource != "status":
        crds.check_crd(obj, registry)
    return warnings


def _check_metadata(obj: JsonDict) -> list[Cause]:
    md = meta(obj)
    causes: list[Cause] = []
    for key in ("labels", "annotations"):
        value = md.get(key)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            causes.append(
                cause(
                    "FieldValueInvalid",
                    f"metadata.{key}",
                    f"Invalid value: {key}: must be a map of string keys to string values",
                )
            )
    finalizers = md.get("finalizers")
    if finalizers is not None and not (
        isinstance(finalizers, list) and all(isinstance(f, str) for f in finalizers)
    ):
        causes.append(
            cause("FieldValueInvalid", "metadata.finalizers", "Invalid value: must be a list of strings")
        )
    return causes


def _admit_custom(
    info: ResourceInfo, obj: JsonDict, old: JsonDict | None, field_validation: str
) -> list[str]:
    schema = info.schema or {}
    unknown = prune(schema, obj)
    warnings: list[str] = []
    if unknown and field_validation == "Strict":
        fields = ", ".join(f'unknown field "{p}"' for p in unknown)
        raise ApiError(
            400,
            f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: '
            f"strict decoding error: {fields}",
        )
    if field_validation != "Ignore":
        warnings = [f'unknown field "{p}"' for p in unknown]
    apply_defaults(schema, obj)
    causes = validate(schema, obj)
    if not causes:
        causes = cel.check_rules(schema, obj, old)
    if causes:
        raise invalid(info.kind, info.group, name_of(obj), causes)
    return warnings
