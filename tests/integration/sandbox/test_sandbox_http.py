"""The API server over HTTP: discovery, CRUD, Status errors, tables, watches, faults, subresources."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from sandbox_helpers import WIDGETS

from modelyard.sandbox import SandboxAPI

MERGE = {"Content-Type": "application/merge-patch+json"}
TABLE = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}


def widget(name: str = "w", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.modelyard.io/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": {"image": "nginx", **spec},
    }


async def read_events(resp: aiohttp.ClientResponse, count: int) -> list[dict[str, Any]]:
    events = []
    while len(events) < count:
        line = await asyncio.wait_for(resp.content.readline(), 5)
        if not line:
            break
        events.append(json.loads(line))
    return events


async def test_discovery_and_health(http: aiohttp.ClientSession) -> None:
    for path in ("/healthz", "/readyz", "/livez"):
        assert (await http.get(path)).status == 200
    assert (await (await http.get("/version")).json())["minor"] == "34"
    groups = {g["name"] for g in (await (await http.get("/apis")).json())["groups"]}
    assert {"apps", "batch", "example.modelyard.io", "kopf.dev", "apiextensions.k8s.io"} <= groups
    resources = (await (await http.get("/apis/example.modelyard.io/v1")).json())["resources"]
    main = next(r for r in resources if r["name"] == "widgets")
    assert (main["kind"], main["shortNames"], main["categories"]) == ("Widget", ["wdg"], ["exampleyard"])
    assert any(r["name"] == "widgets/status" for r in resources)
    core = {r["name"] for r in (await (await http.get("/api/v1")).json())["resources"]}
    assert {"pods", "pods/status", "pods/log", "namespaces"} <= core
    v2 = await http.get("/openapi/v2")
    assert v2.status == 200 and await v2.read() == b"\n\x032.0"
    index = await (await http.get("/openapi/v3")).json()
    doc = await (await http.get(index["paths"]["apis/example.modelyard.io/v1"]["serverRelativeURL"])).json()
    assert "io.modelyard.example.v1.Widget" in doc["components"]["schemas"]


async def test_crud_round_trip_with_status_errors(http: aiohttp.ClientSession) -> None:
    created = await http.post(WIDGETS, json=widget())
    assert created.status == 201
    assert (await http.post(WIDGETS, json=widget())).status == 409
    got = await (await http.get(f"{WIDGETS}/w")).json()
    got["spec"]["size"] = 5
    assert (await http.put(f"{WIDGETS}/w", json=got)).status == 200
    stale = await http.put(f"{WIDGETS}/w", json=got)
    status = await stale.json()
    assert (stale.status, status["kind"], status["reason"]) == (409, "Status", "Conflict")
    patched = await http.patch(
        f"{WIDGETS}/w/status", data=json.dumps({"status": {"phase": "Ready"}}), headers=MERGE
    )
    assert (await patched.json())["status"] == {"phase": "Ready"}
    assert (await http.delete(f"{WIDGETS}/w")).status == 200
    missing = await http.get(f"{WIDGETS}/w")
    assert missing.status == 404 and (await missing.json())["reason"] == "NotFound"


async def test_invalid_and_warnings(http: aiohttp.ClientSession) -> None:
    bad = await http.post(WIDGETS, json=widget(size=-1))
    status = await bad.json()
    assert bad.status == 422 and status["details"]["causes"][0]["field"] == "spec.size"
    warned = await http.post(WIDGETS, json=widget(bogus=True))
    assert warned.headers.getall("Warning") == ['299 - "unknown field \\"spec.bogus\\""']
    strict = await http.post(f"{WIDGETS}?fieldValidation=Strict", json=widget("s", bogus=True))
    assert strict.status == 400
    dry = await http.post(f"{WIDGETS}?dryRun=All", json=widget("dry"))
    assert dry.status == 201 and (await http.get(f"{WIDGETS}/dry")).status == 404
    assert (await http.post(WIDGETS, data=b"{nope")).status == 400
    assert (await http.get("/apis/nope.io/v1/things")).status == 404
    assert (await http.post(f"{WIDGETS}/w")).status == 405


async def test_tables_and_partial_metadata(http: aiohttp.ClientSession) -> None:
    await http.post(WIDGETS, json=widget(size=3))
    table = await (await http.get(WIDGETS, headers=TABLE)).json()
    assert table["kind"] == "Table" and table["rows"][0]["cells"][:3] == ["w", 3, "Online"]
    partial = await (
        await http.get(
            WIDGETS, headers={"Accept": "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"}
        )
    ).json()
    assert partial["kind"] == "PartialObjectMetadataList" and "spec" not in partial["items"][0]


async def test_watch_replays_streams_and_times_out(http: aiohttp.ClientSession) -> None:
    rv = (await (await http.get(WIDGETS)).json())["metadata"]["resourceVersion"]
    await http.post(WIDGETS, json=widget("a"))
    async with http.get(f"{WIDGETS}?watch=1&resourceVersion={rv}&timeoutSeconds=1") as resp:
        first = await read_events(resp, 1)
        await http.post(WIDGETS, json=widget("b"))
        second = await read_events(resp, 1)
        assert await asyncio.wait_for(resp.content.read(), 5) == b""  # the timeout ends the stream
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in first + second] == [
        ("ADDED", "a"),
        ("ADDED", "b"),
    ]


async def test_watch_bookmarks_and_gone(sandbox: SandboxAPI, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{WIDGETS}?watch=1&allowWatchBookmarks=true&resourceVersion=0") as resp:
        event = (await read_events(resp, 1))[0]
    assert event["type"] == "BOOKMARK" and event["object"]["metadata"]["resourceVersion"]
    sandbox.store.storage.history.compacted_rv = 100  # as if history had been compacted
    async with http.get(f"{WIDGETS}?watch=1&resourceVersion=5") as resp:
        error = (await read_events(resp, 1))[0]
    assert error["type"] == "ERROR" and error["object"]["code"] == 410


async def test_many_concurrent_watchers(sandbox: SandboxAPI, http: aiohttp.ClientSession) -> None:
    responses = [
        await http.get(f"{WIDGETS}?watch=1&resourceVersion={sandbox.store.storage.rv}") for _ in range(40)
    ]
    await http.post(WIDGETS, json=widget("fan"))
    events = await asyncio.gather(*(read_events(r, 1) for r in responses))
    assert all(e[0]["object"]["metadata"]["name"] == "fan" for e in events)
    for resp in responses:
        resp.close()


async def test_faults_errors_delays_and_watch_drops(sandbox: SandboxAPI, http: aiohttp.ClientSession) -> None:
    sandbox.faults.add(verb="create", plural="widgets", status=429, retry_after=2, times=1)
    throttled = await http.post(WIDGETS, json=widget())
    assert throttled.status == 429 and throttled.headers["Retry-After"] == "2"
    assert (await http.post(WIDGETS, json=widget())).status == 201
    admin = await http.post("/sandbox/faults", json={"verb": "get", "name": "w", "status": 503, "times": 1})
    assert admin.status == 201
    assert (await http.get(f"{WIDGETS}/w")).status == 503
    assert (await http.get(f"{WIDGETS}/w")).status == 200
    sandbox.faults.add(plural="widgets", drop_watch_after=1)
    await http.post(WIDGETS, json=widget("x"))
    async with http.get(f"{WIDGETS}?watch=1") as resp:
        events = await read_events(resp, 5)
    assert len(events) == 1
    counts = await (await http.get("/sandbox/requests?writes=1")).json()
    assert {"verb": "create", "plural": "widgets", "subresource": "", "count": 3} in counts["counts"]
    assert sandbox.requests.count(verb="create", plural="widgets", code=429) == 1
    assert sandbox.requests.count(writes_only=True) == 3


async def test_pod_log_scale_and_crash_is_500(http: aiohttp.ClientSession) -> None:
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "main", "image": "x"}]}}
    await http.post("/api/v1/namespaces/default/pods", json=pod)
    assert (
        await (await http.get("/api/v1/namespaces/default/pods/p/log")).text() == "logs of default/p/main\n"
    )
    await http.post("/api/v1/namespaces/default/pods", json={**pod, "metadata": {"name": "broken"}})
    crash = await http.get("/api/v1/namespaces/default/pods/broken/log")
    assert crash.status == 500 and "log source exploded" in (await crash.json())["message"]
    dep = {"metadata": {"name": "d"}, "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}}}}
    await http.post("/apis/apps/v1/namespaces/default/deployments", json=dep)
    scale_url = "/apis/apps/v1/namespaces/default/deployments/d/scale"
    scaled = await http.patch(scale_url, data=json.dumps({"spec": {"replicas": 4}}), headers=MERGE)
    assert (await scaled.json())["spec"]["replicas"] == 4
    scale = await (await http.get(scale_url)).json()
    assert (scale["kind"], scale["status"]["selector"]) == ("Scale", "a=b")
