"""OpenAPI documents, just enough for kubectl.

``/openapi/v2``: kubectl fetches it (as protobuf) for client-side validation and gives up on a 404, so we
serve the smallest valid protobuf ``Document`` (``swagger: "2.0"``, no definitions): kubectl then finds
no schema and skips client-side checks. ``/openapi/v3``: the index and one document per group version
whose PATCH operations carry ``x-kubernetes-group-version-kind`` and a ``fieldValidation`` parameter —
this is how kubectl decides the server validates fields itself (it then sends
``fieldValidation=Strict``). Schemas are included for custom resources (so ``kubectl explain`` works on
them) but not for built-ins, so kubectl's client-side apply falls back to its compiled-in types for
strategic merge patches.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from modelyard.sandbox.resources import Registry, ResourceInfo

JsonDict = dict[str, Any]
V2_PROTOBUF = b"\n\x032.0"
V2_CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
_QUERY = ("fieldValidation", "fieldManager", "dryRun", "force")


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _gvk(info: ResourceInfo) -> JsonDict:
    return {"group": info.group, "version": info.version, "kind": info.kind}


def _schema_name(info: ResourceInfo) -> str:
    reversed_group = ".".join(reversed(info.group.split("."))) if info.group else "io.k8s.api.core"
    return f"{reversed_group}.{info.version}.{info.kind}"


def _operation(info: ResourceInfo, action: str) -> JsonDict:
    params = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}} for n in _QUERY]
    return {
        "operationId": f"{action}{info.kind}",
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(info),
        "parameters": params,
        "responses": {"200": {"description": "OK"}},
    }


def gv_document(registry: Registry, group: str, version: str) -> JsonDict | None:
    """The OpenAPI v3 document of one group version."""
    infos = registry.in_version(group, version)
    if not infos:
        return None
    paths: JsonDict = {}
    schemas: JsonDict = {}
    for info in infos:
        scope = "/namespaces/{namespace}" if info.namespaced else ""
        item = f"/{_gv_path(group, version)}{scope}/{info.plural}/{{name}}"
        paths[item] = {
            "get": _operation(info, "get"),
            "put": _operation(info, "put"),
            "patch": _operation(info, "patch"),
            "delete": _operation(info, "delete"),
        }
        if info.schema is not None:
            schemas[_schema_name(info)] = {
                **_with_envelope(info.schema),
                "x-kubernetes-group-version-kind": [_gvk(info)],
            }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.34.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _with_envelope(schema: JsonDict) -> JsonDict:
    props = dict(schema.get("properties") or {})
    props.setdefault("apiVersion", {"type": "string", "description": "APIVersion of the object"})
    props.setdefault("kind", {"type": "string", "description": "Kind of the object"})
    props.setdefault("metadata", {"type": "object", "description": "Standard object's metadata"})
    return {**schema, "properties": props}


def v3_index(registry: Registry) -> JsonDict:
    """``/openapi/v3``: one entry per group version, with a hash that changes with the registry."""
    paths: JsonDict = {}
    for group in registry.groups():
        for version in registry.versions(group):
            doc = gv_document(registry, group, version)
            digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16].upper()
            path = _gv_path(group, version)
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}
