"""HTTP handlers for resource requests (everything but watch, which is in :mod:`watchstream`).

Each handler turns query parameters and the body into a store call and the result into the response
the real server would send: 201 on create, 202 on a delete that leaves the object (finalizers), Tables
or PartialObjectMetadata when the ``Accept`` header asks for them, ``Warning`` headers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import yaml
from aiohttp import web

from modelyard.sandbox import patches, tables
from modelyard.sandbox.context import ServerContext
from modelyard.sandbox.deletion import DeleteOptions
from modelyard.sandbox.errors import ApiError, bad_request
from modelyard.sandbox.objects import meta
from modelyard.sandbox.paths import Target
from modelyard.sandbox.resources import ResourceInfo
from modelyard.sandbox.writes import WriteOptions, WriteResult

JsonDict = dict[str, Any]
Handler = Callable[[web.Request, Target, ResourceInfo, ServerContext], Awaitable[web.StreamResponse]]


def json_response(body: Any, status: int = 200, warnings: Iterable[str] = ()) -> web.Response:
    """A JSON response with ``Warning: 299`` headers."""
    resp = web.Response(text=json.dumps(body), status=status, content_type="application/json")
    for warning in warnings:
        resp.headers.add("Warning", '299 - "' + header_text(warning) + '"')
    return resp


def header_text(text: str) -> str:
    """Warning text safe in a quoted header value: quotes escaped, control characters (a field name can
    hold a newline) written as escapes instead of failing the whole response with a 500."""
    escaped = text.replace('"', '\\"')
    return "".join(c if " " <= c != "\x7f" else c.encode("unicode_escape").decode() for c in escaped)


def raw_json_response(body: bytes, status: int = 200) -> web.Response:
    """A response from already serialised JSON."""
    return web.Response(body=body, status=status, content_type="application/json")


def wanted_form(request: web.Request) -> str:
    """``table``, ``partial`` or ``object``: the first form the ``Accept`` header asks for that we serve."""
    for part in request.headers.get("Accept", "application/json").split(","):
        if "as=Table" in part:
            return "table"
        if "as=PartialObjectMetadata" in part:
            return "partial"
        if "json" in part or "*/*" in part or "yaml" in part:
            return "object"
    return "object"


def _partial(obj: JsonDict) -> JsonDict:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta(obj)}


def render(request: web.Request, info: ResourceInfo, ctx: ServerContext, obj: JsonDict) -> JsonDict:
    """One object in the form the client asked for."""
    form = wanted_form(request)
    if form == "table":
        include = request.query.get("includeObject", "Metadata")
        return tables.to_table(
            info,
            [obj],
            ctx.store.clock,
            resource_version=meta(obj).get("resourceVersion", ""),
            include_object=include,
        )
    return _partial(obj) if form == "partial" else obj


def write_options(request: web.Request) -> WriteOptions:
    """dryRun, fieldValidation, fieldManager, force."""
    q = request.query
    return WriteOptions(
        dry_run=bool(q.getall("dryRun", [])),
        field_validation=q.get("fieldValidation", "Warn"),
        field_manager=q.get("fieldManager") or None,
        force=q.get("force", "") == "true",
    )


def check_media_type(request: web.Request) -> None:
    """415 for protobuf and CBOR bodies: we can't decode them without the Go types.

    kubectl's typed generators (``kubectl create deployment``, ``kubectl run``) send protobuf and fail
    here; ``kubectl apply/create -f`` send JSON.
    """
    if "protobuf" in request.content_type or "cbor" in request.content_type:
        raise ApiError(
            415,
            "the body of the request was in an unknown format - accepted media types include: "
            f"application/json, application/yaml; got {request.content_type}",
        )


async def read_body(request: web.Request) -> Any:
    """The request body decoded as JSON (or YAML when the content type says so)."""
    check_media_type(request)
    raw = await request.read()
    try:
        if "yaml" in request.content_type:
            return yaml.safe_load(raw.decode("utf-8"))
        return json.loads(raw or b"null")
    except (ValueError, yaml.YAMLError) as exc:
        raise bad_request(f"couldn't get version/kind; json parse error: {exc}") from exc


def _written(
    request: web.Request, info: ResourceInfo, ctx: ServerContext, result: WriteResult
) -> web.Response:
    return json_response(
        render(request, info, ctx, result.obj), 201 if result.created else 200, result.warnings
    )


async def get(
    request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext
) -> web.StreamResponse:
    """GET one object."""
    if wanted_form(request) == "object":
        return raw_json_response(ctx.store.get_json(info, target.namespace, target.name))
    return json_response(render(request, info, ctx, ctx.store.get(info, target.namespace, target.name)))


async def list_(
    request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext
) -> web.StreamResponse:
    """GET a collection."""
    q = request.query
    try:
        limit = int(q.get("limit") or 0)
    except ValueError as exc:
        raise bad_request("limit must be an integer") from exc
    selection: dict[str, Any] = {
        "label_selector": q.get("labelSelector"),
        "field_selector": q.get("fieldSelector"),
        "limit": limit,
        "continue_token": q.get("continue"),
    }
    form = wanted_form(request)
    if form == "object":
        return raw_json_response(ctx.store.list_json(info, target.namespace, **selection))
    listed = ctx.store.list(info, target.namespace, **selection)
    if form == "table":
        return json_response(
            tables.to_table(
                info,
                listed["items"],
                ctx.store.clock,
                resource_version=listed["metadata"]["resourceVersion"],
                include_object=q.get("includeObject", "Metadata"),
                continue_token=listed["metadata"].get("continue", ""),
            )
        )
    if form == "partial":
        listed = {
            **listed,
            "kind": "PartialObjectMetadataList",
            "apiVersion": "meta.k8s.io/v1",
            "items": [_partial(o) for o in listed["items"]],
        }
    return json_response(listed)


async def create(
    request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext
) -> web.StreamResponse:
    """POST."""
    body = await read_body(request)
    return _written(
        request, info, ctx, ctx.store.create(info, target.namespace, body, write_options(request))
    )


async def update(
    request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext
) -> web.StreamResponse:
    """PUT, on the object or its status."""
    body = await read_body(request)
    result = ctx.store.update(
        info, target.namespace, target.name, body, write_options(request), target.subresource
    )
    return _written(request, info, ctx, result)


async def patch(
    request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext
) -> web.StreamResponse:
    """PATCH, on the object or its status."""
    content_type = request.content_type
    body = patches.decode_patch(content_type, await request.read())
    opts = write_options(request)
    if content_type == patches.APPLY and not opts.field_manager:
        raise ApiError(
            422,
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required '
            "for apply patch",
        )
    result = ctx.store.patch(
        info, target.namespace, target.name, content_type, body, opts, target.subresource
    )
    return _written(request, info, ctx, result)


async def delete(
    request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext
) -> web.StreamResponse:
    """DELETE one object: 200 if gone, 202 if it lingers for its finalizers."""
    opts = await _delete_options(request)
    obj = ctx.store.delete(info, target.namespace, target.name, opts)
    still_there = ctx.store.storage.find(info.storage_key, target.namespace, target.name) is not None
    return json_response(obj, 202 if still_there and not opts.dry_run else 200)


async def delete_collection(
    request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext
) -> web.StreamResponse:
    """DELETE a collection (with selectors)."""
    q = request.query
    listed = ctx.store.delete_collection(
        info,
        target.namespace,
        await _delete_options(request),
        label_selector=q.get("labelSelector"),
        field_selector=q.get("fieldSelector"),
    )
    return json_response(listed)


async def _delete_options(request: web.Request) -> DeleteOptions:
    body = await read_body(request) if request.can_read_body else None
    q = request.query
    return DeleteOptions.from_body(
        body if isinstance(body, dict) else None,
        dry_run=bool(q.getall("dryRun", [])),
        propagation=q.get("propagationPolicy"),
    )


HANDLERS: dict[str, Handler] = {
    "get": get,
    "list": list_,
    "create": create,
    "update": update,
    "patch": patch,
    "delete": delete,
    "deletecollection": delete_collection,
}
