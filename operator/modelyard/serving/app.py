"""The HTTP side: Open Inference Protocol v2 routes, /metrics, JSON errors. aiohttp, one process."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from modelyard.serving.faults import FaultPlan
from modelyard.serving.loaders import LoadedModel
from modelyard.serving.protocol import ProtocolError, decode_infer_request, encode_infer_response
from modelyard.serving.telemetry import CONTENT_TYPE, ServerMetrics

log = logging.getLogger("modelyard.serving")
SERVER_NAME = "modelyard"
SERVER_VERSION = "0.1.0"


@dataclass
class ServerState:
    """What the handlers share: the model once loaded, and whether the server takes traffic."""

    name: str
    version: str
    metrics: ServerMetrics
    max_body_bytes: int = 16 * 1024 * 1024
    model: LoadedModel | None = None
    faults: FaultPlan = field(default_factory=FaultPlan)
    draining: bool = False

    @property
    def ready(self) -> bool:
        return self.model is not None and not self.draining


STATE: web.AppKey[ServerState] = web.AppKey("state", ServerState)


def error(status: int, message: str) -> web.Response:
    return web.Response(status=status, body=json.dumps({"error": message}), content_type="application/json")


def ok(body: dict[str, Any]) -> web.Response:
    return web.Response(body=json.dumps(body), content_type="application/json")


async def live(request: web.Request) -> web.Response:
    return ok({"live": True})


async def ready(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return ok({"ready": True}) if state.ready else error(503, "the model is not loaded yet")


async def server_metadata(request: web.Request) -> web.Response:
    return ok({"name": SERVER_NAME, "version": SERVER_VERSION, "extensions": []})


def _resolve(request: web.Request) -> tuple[ServerState, LoadedModel | web.Response]:
    """The model the URL names, or the 404/503 answer."""
    state = request.app[STATE]
    name, version = request.match_info["name"], request.match_info.get("version")
    if name != state.name or (version is not None and version != state.version):
        label = f"{name!r}" + (f" version {version!r}" if version is not None else "")
        return state, error(404, f"model {label} not found; this server serves {state.name!r} {state.version!r}")
    if state.model is None:
        return state, error(503, f"model {state.name!r} is not loaded yet")
    return state, state.model


async def model_metadata(request: web.Request) -> web.Response:
    state, model = _resolve(request)
    if isinstance(model, web.Response):
        return model
    return ok({"name": state.name, "versions": [state.version], "platform": model.platform,
               "inputs": [s.to_json() for s in model.inputs], "outputs": [s.to_json() for s in model.outputs]})


async def model_ready(request: web.Request) -> web.Response:
    state, model = _resolve(request)
    if isinstance(model, web.Response):
        return model
    return ok({"name": state.name, "ready": state.ready})


async def infer(request: web.Request) -> web.Response:
    started = time.perf_counter()
    state, model = _resolve(request)
    if isinstance(model, web.Response):
        return model  # not our model: not counted, so labels stay bounded
    state.metrics.in_flight.inc()
    try:
        response = await _infer(request, state, model)
    finally:
        state.metrics.in_flight.dec()
    state.metrics.count(response.status)
    state.metrics.observe(time.perf_counter() - started)
    return response


async def _infer(request: web.Request, state: ServerState, model: LoadedModel) -> web.Response:
    if request.content_length is not None and request.content_length > state.max_body_bytes:
        return error(413, f"request body of {request.content_length} bytes exceeds {state.max_body_bytes}")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return error(413, f"request body exceeds {state.max_body_bytes} bytes")
    if state.faults.active:
        if state.faults.latency_seconds > 0:
            await asyncio.sleep(state.faults.latency_seconds)
        if state.faults.next_fails():
            return error(500, "injected fault (MODELYARD_FAULT_ERROR_RATE or the model's modelyard_faults)")
    try:
        decoded = decode_infer_request(body, model.inputs)
        outputs = model.predict(decoded.inputs, decoded.outputs)
        return ok(encode_infer_response(state.name, state.version, outputs, decoded.id))
    except ProtocolError as err:
        return error(err.status, str(err))
    except Exception as err:  # a bug or a model failure: answer, log, keep serving
        log.exception("inference failed")
        return error(500, f"inference failed: {type(err).__name__}: {err}")


async def metrics(request: web.Request) -> web.Response:
    body = request.app[STATE].metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


@web.middleware
async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """aiohttp's own refusals (no route, wrong method) in the protocol's error format."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error(exc.status, exc.reason)


def build_app(state: ServerState) -> web.Application:
    app = web.Application(client_max_size=state.max_body_bytes, middlewares=[json_errors])
    app[STATE] = state
    app.router.add_get("/v2/health/live", live)
    app.router.add_get("/v2/health/ready", ready)
    app.router.add_get("/v2", server_metadata)
    app.router.add_get("/v2/models/{name}", model_metadata)
    app.router.add_get("/v2/models/{name}/versions/{version}", model_metadata)
    app.router.add_get("/v2/models/{name}/ready", model_ready)
    app.router.add_get("/v2/models/{name}/versions/{version}/ready", model_ready)
    app.router.add_post("/v2/models/{name}/infer", infer)
    app.router.add_post("/v2/models/{name}/versions/{version}/infer", infer)
    app.router.add_get("/metrics", metrics)
    return app
