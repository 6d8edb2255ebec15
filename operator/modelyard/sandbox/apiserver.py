"""The aiohttp application: discovery, OpenAPI, health, resources, and the ``/sandbox`` admin API.

One middleware wraps every request: it resolves the target, records it in the request log, applies
fault rules (delay, error), and turns any exception into a ``kind: Status`` response — an
:class:`ApiError` with its own code, anything else a logged 500 — so the sandbox never crashes on bad
input.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
from typing import Any

from aiohttp import web

from modelyard.sandbox import discovery, handlers, openapi, paths, subresources, watchstream
from modelyard.sandbox.context import ServerContext
from modelyard.sandbox.errors import ApiError
from modelyard.sandbox.faults import FaultRule, RequestRecord
from modelyard.sandbox.handlers import json_response

JsonDict = dict[str, Any]
CTX = web.AppKey("ctx", ServerContext)
TARGET = web.RequestKey("target", object)
RECORD = web.RequestKey("record", RequestRecord)
log = logging.getLogger(__name__)


def _ctx(request: web.Request) -> ServerContext:
    return request.app[CTX]


def _is_watch(request: web.Request) -> bool:
    return request.query.get("watch", "") in ("1", "true")


def _record(request: web.Request, target: paths.Target | None) -> RequestRecord:
    record = RequestRecord(
        method=request.method, verb=request.method.lower(), user_agent=request.headers.get("User-Agent", ""),
        content_type=request.headers.get("Content-Type", "").split(";")[0],
    )
    if target:
        _describe(record, target)
    return record


async def _record_body(request: web.Request, record: RequestRecord) -> None:
    """A short digest and the top-level keys of a write's body (the handler reads the cached bytes again)."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.can_read_body:
        return
    raw = await request.read()
    record.body_digest = hashlib.sha256(raw).hexdigest()[:12]
    try:
        doc = json.loads(raw)
    except ValueError:
        return
    record.body_keys = ",".join(sorted(doc)) if isinstance(doc, dict) else "[ops]"


def _describe(record: RequestRecord, target: paths.Target) -> None:
    record.verb = target.verb
    record.group, record.version, record.plural = target.group, target.version, target.plural
    record.namespace, record.name, record.subresource = target.namespace, target.name, target.subresource


def _error_response(exc: ApiError) -> web.Response:
    resp = json_response(exc.status(), exc.code)
    for key, value in exc.headers.items():
        resp.headers[key] = value
    return resp


@web.middleware
async def api_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Target resolution, request log, faults, and errors as Status."""
    ctx = _ctx(request)
    record = _record(request, None)
    ctx.requests.add(record)  # logged on arrival, so a test can see a watch while it is open
    try:
        await _record_body(request, record)
        target = paths.parse(request.path, request.method, ctx.store.registry, watch=_is_watch(request))
        if target is not None:
            _describe(record, target)
        request[TARGET] = target
        request[RECORD] = record
        for rule in ctx.faults.fire(record) if target is not None else ():
            if rule.delay:
                await asyncio.sleep(rule.delay)
            error = rule.error()
            if error is not None:
                record.injected = True
                raise error
        response: web.StreamResponse = await handler(request)
    except ApiError as exc:
        response = _error_response(exc)
    except web.HTTPException:
        raise
    except Exception as exc:
        log.exception("sandbox API server: %s %s failed", request.method, request.path_qs)
        response = _error_response(ApiError(500, f"Internal error occurred: {exc!r}"))
    record.code = response.status
    return response


async def resource(request: web.Request) -> web.StreamResponse:
    """Any ``/api/...`` or ``/apis/...`` path: discovery or a resource request."""
    ctx = _ctx(request)
    target = request[TARGET]
    assert target is None or isinstance(target, paths.Target)
    if target is None or target.info is None:
        return _discovery(request, ctx)
    info = target.info
    if target.verb == "watch":
        return await watchstream.serve(request, target, info, ctx, request[RECORD])
    if target.subresource in ("log", "scale"):
        return await subresources.handle(request, target, info, ctx)
    return await handlers.HANDLERS[target.verb](request, target, info, ctx)


def _discovery(request: web.Request, ctx: ServerContext) -> web.Response:
    segs = [s for s in request.path.split("/") if s]
    registry = ctx.store.registry
    doc: JsonDict | None = None
    if segs == ["api"]:
        doc = discovery.api_versions(ctx.server_address)
    elif segs == ["apis"]:
        doc = discovery.api_group_list(registry)
    elif len(segs) == 2 and segs[0] == "api":
        doc = discovery.api_resource_list(registry, "", segs[1])
    elif len(segs) == 2 and segs[0] == "apis":
        doc = discovery.api_group(registry, segs[1])
    elif len(segs) == 3 and segs[0] == "apis":
        doc = discovery.api_resource_list(registry, segs[1], segs[2])
    if doc is None:
        raise ApiError(404, "the server could not find the requested resource")
    return json_response(doc)


async def version(request: web.Request) -> web.Response:
    """``/version``."""
    return json_response(discovery.VERSION)


async def health(request: web.Request) -> web.Response:
    """``/healthz``, ``/readyz``, ``/livez``."""
    return web.Response(text="ok")


async def openapi_v2(request: web.Request) -> web.Response:
    """``/openapi/v2``: a minimal protobuf document (see :mod:`openapi`)."""
    return web.Response(body=openapi.V2_PROTOBUF, content_type=openapi.V2_CONTENT_TYPE)


async def openapi_v3(request: web.Request) -> web.Response:
    """``/openapi/v3`` and ``/openapi/v3/{api/v1|apis/g/v}``."""
    registry = _ctx(request).store.registry
    tail = request.match_info.get("tail", "").strip("/")
    if not tail:
        return json_response(openapi.v3_index(registry))
    segs = tail.split("/")
    doc = None
    if len(segs) == 2 and segs[0] == "api":
        doc = openapi.gv_document(registry, "", segs[1])
    elif len(segs) == 3 and segs[0] == "apis":
        doc = openapi.gv_document(registry, segs[1], segs[2])
    if doc is None:
        raise ApiError(404, "the server could not find the requested resource")
    return json_response(doc)


async def faults_admin(request: web.Request) -> web.Response:
    """``/sandbox/faults``: GET lists rules, POST adds one (JSON fields of FaultRule), DELETE clears."""
    faults = _ctx(request).faults
    if request.method == "POST":
        body = await handlers.read_body(request)
        fields = {f.name for f in dataclasses.fields(FaultRule)} - {"hits", "id"}
        if not isinstance(body, dict) or set(body) - fields:
            raise ApiError(400, f"a fault rule is a JSON object with fields among {sorted(fields)}")
        return json_response(dataclasses.asdict(faults.add(FaultRule(**body))), 201)
    if request.method == "DELETE":
        faults.clear()
    return json_response({"rules": faults.to_json()})


async def requests_admin(request: web.Request) -> web.Response:
    """``/sandbox/requests``: GET counts by verb/resource (``?writes=1`` for writes only); DELETE clears."""
    log_ = _ctx(request).requests
    if request.method == "DELETE":
        log_.clear()
    counts = log_.counts(writes_only=request.query.get("writes") in ("1", "true"))
    items = [
        {"verb": v, "plural": p, "subresource": s, "count": n} for (v, p, s), n in sorted(counts.items())
    ]
    return json_response({"total": len(log_.records), "counts": items})


def make_app(ctx: ServerContext) -> web.Application:
    """The application serving one sandbox cluster."""
    app = web.Application(middlewares=[api_middleware], client_max_size=64 * 1024 * 1024)
    app[CTX] = ctx
    app.router.add_get("/version", version)
    for path in ("/healthz", "/readyz", "/livez"):
        app.router.add_get(path, health)
    app.router.add_get("/openapi/v2", openapi_v2)
    app.router.add_get("/openapi/v3", openapi_v3)
    app.router.add_get("/openapi/v3/{tail:.*}", openapi_v3)
    app.router.add_route("*", "/sandbox/faults", faults_admin)
    app.router.add_route("*", "/sandbox/requests", requests_admin)
    app.router.add_route("*", "/api{tail:(/.*)?}", resource)
    app.router.add_route("*", "/apis{tail:(/.*)?}", resource)
    return app
