"""Subresources other than status: ``deployments/scale`` (and replicasets) and ``pods/log``.

``scale`` is the ``autoscaling/v1`` Scale view of ``spec.replicas``; writes to it patch the parent.
``log`` returns text from the server's pluggable log source (a real server asks the kubelet).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from modelyard.sandbox import patches
from modelyard.sandbox.context import ServerContext
from modelyard.sandbox.errors import ApiError
from modelyard.sandbox.handlers import json_response, read_body, write_options
from modelyard.sandbox.objects import meta
from modelyard.sandbox.paths import Target
from modelyard.sandbox.resources import ResourceInfo

JsonDict = dict[str, Any]


# subresources -------------------------------------------------------------------------------------------


def scale_of(info: ResourceInfo, obj: JsonDict) -> JsonDict:
    """The ``autoscaling/v1`` Scale view of a Deployment or ReplicaSet."""
    md = meta(obj)
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    labels = (spec.get("selector") or {}).get("matchLabels") or {}
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in md
        },
        "spec": {"replicas": spec.get("replicas", 1)},
        "status": {"replicas": status.get("replicas", 0), "selector": selector},
    }


async def scale_write(
    request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext, body: Any, content_type: str
) -> web.StreamResponse:
    current = scale_of(info, ctx.store.get(info, target.namespace, target.name))
    wanted = body if request.method == "PUT" else patches.apply_patch(content_type, current, body)
    replicas = (wanted.get("spec") or {}).get("replicas") if isinstance(wanted, dict) else None
    if not isinstance(replicas, int) or replicas < 0:
        raise ApiError(
            422,
            f'Scale.autoscaling "{target.name}" is invalid: spec.replicas: Invalid value: '
            f"{replicas}: must be greater than or equal to 0",
        )
    patch_body: JsonDict = {"spec": {"replicas": replicas}}
    sent_rv = (wanted.get("metadata") or {}).get("resourceVersion") if request.method == "PUT" else None
    if sent_rv:
        patch_body["metadata"] = {"resourceVersion": sent_rv}
    result = ctx.store.patch(
        info, target.namespace, target.name, patches.MERGE, patch_body, write_options(request)
    )
    return json_response(scale_of(info, result.obj))


async def get(
    request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext
) -> web.StreamResponse:
    """GET on ``status``, ``scale`` or ``log``."""
    if target.subresource == "log":
        return await _pod_log(request, target, info, ctx)
    obj = ctx.store.get(info, target.namespace, target.name)
    return json_response(scale_of(info, obj) if target.subresource == "scale" else obj)


async def _pod_log(
    request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext
) -> web.StreamResponse:
    pod = ctx.store.get(info, target.namespace, target.name)
    containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    container = request.query.get("container") or (containers[0] if containers else "")
    produced = ctx.log_source(target.namespace, target.name, container)
    if inspect.isawaitable(produced):
        produced = await produced
    if isinstance(produced, str):
        return web.Response(text=produced, content_type="text/plain")
    resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await resp.prepare(request)
    stream: AsyncIterator[str] = produced
    async for chunk in stream:
        await resp.write(chunk.encode())
    await resp.write_eof()
    return resp


async def handle(
    request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext
) -> web.StreamResponse:
    """Dispatch a ``scale`` or ``log`` request."""
    if request.method == "GET":
        return await get(request, target, info, ctx)
    if target.subresource == "scale" and request.method in ("PUT", "PATCH"):
        body = (
            await read_body(request)
            if request.method == "PUT"
            else patches.decode_patch(request.content_type, await request.read())
        )
        return await scale_write(request, target, info, ctx, body, request.content_type)
    raise ApiError(405, "the server does not allow this method on the requested resource")
