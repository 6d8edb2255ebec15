"""Pydantic models -> structural OpenAPI v3 schemas and CustomResourceDefinitions (pure).

pydantic emits JSON Schema 2020-12 with ``$ref``/``anyOf``; Kubernetes wants a *structural* schema:
every node typed, no references, no ``anyOf`` with types, free-form only where marked
``x-kubernetes-preserve-unknown-fields``. The rules applied, in order:

>>> structural({"anyOf": [{"type": "integer"}, {"type": "string"}]}, {})
{'x-kubernetes-int-or-string': True}
>>> structural({"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}, {})
{'type': 'string'}
>>> structural({"type": "object", "additionalProperties": True}, {})
{'type': 'object', 'x-kubernetes-preserve-unknown-fields': True}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from modelyard.api.common import GROUP, VERSION, Resource

_DROP = {"title", "$defs"}
_SCALARS = {"string", "integer", "number", "boolean"}


def structural(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """One JSON-schema node made structural, references inlined, recursively."""
    node = _inline_ref(node, defs)
    if "anyOf" in node:
        node = _collapse_any_of(node, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or (key == "default" and value is None):
            continue
        if key == "properties":
            out[key] = {name: structural(sub, defs) for name, sub in value.items()}
        elif key == "items":
            out[key] = structural(value, defs)
        elif key == "additionalProperties":
            if isinstance(value, dict):
                out[key] = structural(value, defs)
            elif value is True and "properties" not in node:
                out["x-kubernetes-preserve-unknown-fields"] = True
        else:
            out[key] = value
    if out.get("type") == "object" and "properties" not in out and "additionalProperties" not in out:
        out["x-kubernetes-preserve-unknown-fields"] = True
    return out


def _inline_ref(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**target, **siblings}
    if "allOf" in node and len(node["allOf"]) == 1:
        siblings = {k: v for k, v in node.items() if k != "allOf"}
        return {**_inline_ref(node["allOf"][0], defs), **siblings}
    return node


def _collapse_any_of(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Optional[X] -> X; int|str -> int-or-string; a union of scalars -> any value."""
    options = [_inline_ref(o, defs) for o in node["anyOf"] if o.get("type") != "null"]
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    types = {o.get("type") for o in options}
    if len(options) == 1:
        return {**options[0], **rest}
    if types == {"integer", "string"}:
        return {**rest, "x-kubernetes-int-or-string": True}
    if types <= _SCALARS:
        return {**rest, "x-kubernetes-preserve-unknown-fields": True}
    raise ValueError(f"cannot express anyOf {sorted(map(str, types))} in a structural schema")


def _fill_from_fields(schema: dict[str, Any], model: type[BaseModel], defs: dict[str, Any]) -> None:
    """Descriptions and default_factory defaults from the fields themselves (pydantic drops some)."""
    props = schema.get("properties", {})
    for name, field in model.model_fields.items():
        wire = field.alias or name
        prop = props.get(wire)
        if prop is None:
            continue
        if field.description:
            prop["description"] = field.description
        if field.default_factory is not None:
            default = _factory_default(field.default_factory, prop, defs)
            if default is not None:
                prop["default"] = default
        for sub in _nested_models(field.annotation):
            sub_schema = defs.get(sub.__name__)
            if sub_schema is not None and not sub_schema.get("_filled"):
                sub_schema["_filled"] = True
                _fill_from_fields(sub_schema, sub, defs)


def _factory_default(factory: Any, prop: dict[str, Any], defs: dict[str, Any]) -> Any:
    value = factory()
    if isinstance(value, BaseModel):
        return {}  # an empty object, so the API server applies the nested defaults
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return [v.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True, mode="json") for v in value]
    return None  # empty lists and maps stay absent


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_nested_models(arg))
    return found


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The structural schema of one model (spec or status)."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    defs = raw.pop("$defs", {})
    _fill_from_fields(raw, model, defs)
    for d in defs.values():
        d.pop("_filled", None)
    stripped: dict[str, Any] = _strip_closed_objects(structural(raw, defs))
    return stripped


def _strip_closed_objects(node: Any) -> Any:
    """``additionalProperties: false`` is pydantic's extra=forbid; Kubernetes prunes instead."""
    if isinstance(node, dict):
        return {k: _strip_closed_objects(v) for k, v in node.items()
                if not (k == "additionalProperties" and v is False)}
    if isinstance(node, list):
        return [_strip_closed_objects(v) for v in node]
    return node


def resource_schema(kind: type[Resource]) -> dict[str, Any]:
    """The openAPIV3Schema of a top-level kind."""
    fields = kind.model_fields
    spec_model = _nested_models(fields["spec"].annotation)[0]
    status_model = _nested_models(fields["status"].annotation)[0]
    spec = model_schema(spec_model)
    spec["description"] = fields["spec"].description or spec.get("description", "")
    status = model_schema(status_model)
    status["description"] = fields["status"].description or status.get("description", "")
    return {
        "type": "object",
        "description": (kind.__doc__ or "").strip(),
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string", "description": "APIVersion of this representation of the object."},
            "kind": {"type": "string", "description": "Kind of this object."},
            "metadata": {"type": "object"},
            "spec": spec,
            "status": status,
        },
    }


def build_crd(kind: type[Resource]) -> dict[str, Any]:
    """The CustomResourceDefinition of a kind."""
    info = kind.crd
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{info.plural}.{GROUP}",
            "labels": {"app.kubernetes.io/name": "modelyard", "app.kubernetes.io/part-of": "modelyard"},
        },
        "spec": {
            "group": GROUP,
            "names": {
                "kind": info.kind,
                "listKind": f"{info.kind}List",
                "plural": info.plural,
                "singular": info.singular,
                "shortNames": info.short_names,
                "categories": info.categories,
            },
            "scope": "Namespaced",
            "versions": [{
                "name": VERSION,
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": info.printer_columns,
                "schema": {"openAPIV3Schema": resource_schema(kind)},
            }],
        },
    }
