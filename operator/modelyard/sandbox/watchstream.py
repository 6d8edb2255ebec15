"""Watch responses: a chunked stream of ``{"type": ..., "object": ...}`` JSON lines.

Honours ``resourceVersion`` (replay from history, or an ``ERROR`` event with a 410 Status when it is too
old — sent in a 200 stream like the real server), ``timeoutSeconds`` (the stream ends cleanly),
``allowWatchBookmarks`` (periodic ``BOOKMARK`` events), ``sendInitialEvents`` (WatchList), selectors,
Table output for ``kubectl get -w``, and fault rules that cut the stream after N events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from aiohttp import web

from modelyard.sandbox import tables
from modelyard.sandbox.context import ServerContext
from modelyard.sandbox.errors import ApiError
from modelyard.sandbox.events import Watcher
from modelyard.sandbox.faults import RequestRecord
from modelyard.sandbox.handlers import wanted_form
from modelyard.sandbox.objects import view
from modelyard.sandbox.paths import Target
from modelyard.sandbox.resources import ResourceInfo

JsonDict = dict[str, Any]


def _field_selector(target: Target, request: web.Request) -> str | None:
    selector = request.query.get("fieldSelector")
    if target.name:
        by_name = f"metadata.name={target.name}"
        selector = f"{selector},{by_name}" if selector else by_name
    return selector


def _open(request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext) -> Watcher:
    q = request.query
    return ctx.store.watch(
        info,
        target.namespace,
        resource_version=q.get("resourceVersion"),
        label_selector=q.get("labelSelector"),
        field_selector=_field_selector(target, request),
        send_initial_events=q.get("sendInitialEvents") == "true",
    )


async def serve(
    request: web.Request, target: Target, info: ResourceInfo, ctx: ServerContext, record: RequestRecord
) -> web.StreamResponse:
    """Stream a watch until timeout, client disconnect, server stop or an injected drop."""
    resp = web.StreamResponse(headers={"Content-Type": "application/json", "Cache-Control": "no-cache"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    try:
        watcher = _open(request, target, info, ctx)
    except ApiError as exc:
        await _send(resp, "ERROR", exc.status())
        return resp
    drops = [
        r.drop_watch_after for r in ctx.faults.fire(record, watch=True) if r.drop_watch_after is not None
    ]
    budget = min(drops) if drops else None
    timeout = _timeout(request, ctx)
    try:
        await _pump(request, resp, watcher, info, ctx, budget, timeout)
    finally:
        ctx.store.unwatch(watcher)
    with contextlib.suppress(ConnectionError, RuntimeError):
        await resp.write_eof()
    return resp


def _timeout(request: web.Request, ctx: ServerContext) -> float:
    try:
        return min(float(request.query.get("timeoutSeconds") or ctx.max_watch_seconds), ctx.max_watch_seconds)
    except ValueError:
        return ctx.max_watch_seconds


async def _pump(
    request: web.Request,
    resp: web.StreamResponse,
    watcher: Watcher,
    info: ResourceInfo,
    ctx: ServerContext,
    budget: int | None,
    seconds: float,
) -> None:
    deadline = time.monotonic() + seconds
    bookmarks = request.query.get("allowWatchBookmarks") == "true"
    as_table = wanted_form(request) == "table"
    sent = 0
    while budget is None or sent < budget:
        wait = deadline - time.monotonic()
        if wait <= 0:
            return
        if bookmarks:
            wait = min(wait, ctx.bookmark_interval)
        try:
            item = await asyncio.wait_for(watcher.queue.get(), timeout=wait)
        except TimeoutError:
            if bookmarks and time.monotonic() < deadline:
                await _send(resp, "BOOKMARK", ctx.store.bookmark(info))
            continue
        if item is None:
            return
        kind, obj = item
        if kind in ("BOOKMARK", "ERROR") or as_table:
            await _send(resp, kind, _present(info, ctx, kind, obj, as_table, first=sent == 0))
        else:  # the object's JSON, serialised once for every watcher of the event
            encoded = ctx.store.storage.encode(obj, info.api_version, info.kind)
            await resp.write(b'{"type": "' + kind.encode() + b'", "object": ' + encoded + b"}\n")
        sent += 1


def _present(
    info: ResourceInfo, ctx: ServerContext, kind: str, obj: JsonDict, as_table: bool, *, first: bool
) -> JsonDict:
    if kind in ("BOOKMARK", "ERROR"):
        return obj
    obj = view(info, obj)
    if as_table:
        return tables.to_table(
            info,
            [obj],
            ctx.store.clock,
            with_definitions=first,
            resource_version=str(obj["metadata"].get("resourceVersion", "")),
        )
    return obj


async def _send(resp: web.StreamResponse, kind: str, obj: JsonDict) -> None:
    line = json.dumps({"type": kind, "object": obj}) + "\n"
    await resp.write(line.encode())
