"""The HTTP server in-process: v2 routes, correct predictions, 4xx for bad requests, metrics, faults."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import joblib
import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sklearn.datasets import load_iris

from modelyard.adapters.metrics.window import parse_snapshot
from modelyard.serving.app import STATE, ServerState, build_app
from modelyard.serving.faults import FaultPlan
from modelyard.serving.loaders import load_model
from modelyard.serving.telemetry import ServerMetrics

from .helpers import Artifact

X = load_iris().data[:7]


def infer_body(rows: Any, datatype: str = "FP64", shape: list[int] | None = None) -> dict[str, Any]:
    arr = np.asarray(rows)
    return {"inputs": [{"name": "x", "shape": shape or list(arr.shape), "datatype": datatype,
                        "data": arr.reshape(-1).tolist()}]}


async def client_for(state: ServerState) -> TestClient:  # type: ignore[type-arg]
    client: TestClient = TestClient(TestServer(build_app(state)))  # type: ignore[type-arg]
    await client.start_server()
    return client


@pytest.fixture
async def client(good_artifact: Artifact) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    state = ServerState("iris", "v1", ServerMetrics("iris", "v1"), max_body_bytes=64 * 1024,
                        model=load_model("sklearn", good_artifact.path))
    c = await client_for(state)
    yield c
    await c.close()


async def test_infer_matches_the_models_own_predict(client: TestClient, good_artifact: Artifact) -> None:  # type: ignore[type-arg]
    outputs = [{"name": "predict"}, {"name": "predict_proba"}]
    resp = await client.post("/v2/models/iris/infer", json={**infer_body(X), "id": "r1", "outputs": outputs})
    assert resp.status == 200
    body = await resp.json()
    estimator = joblib.load(good_artifact.path)
    outputs = {o["name"]: o for o in body["outputs"]}
    assert (body["model_name"], body["model_version"], body["id"]) == ("iris", "v1", "r1")
    assert outputs["predict"]["data"] == estimator.predict(X).tolist()
    assert outputs["predict"]["datatype"] == "INT64" and outputs["predict"]["shape"] == [7]
    assert np.allclose(np.reshape(outputs["predict_proba"]["data"], (7, 3)), estimator.predict_proba(X))


async def test_versioned_route_and_metadata(client: TestClient) -> None:  # type: ignore[type-arg]
    assert (await client.post("/v2/models/iris/versions/v1/infer", json=infer_body(X))).status == 200
    meta = await (await client.get("/v2/models/iris")).json()
    assert meta["versions"] == ["v1"] and meta["platform"] == "sklearn"
    assert meta["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}]
    assert (await (await client.get("/v2")).json())["name"] == "modelyard"
    assert (await client.get("/v2/health/live")).status == 200
    assert (await client.get("/v2/health/ready")).status == 200
    assert (await client.get("/v2/models/iris/ready")).status == 200


BAD_REQUESTS: list[tuple[str, str, bytes | None, int, str]] = [
    ("invalid-json", "/v2/models/iris/infer", b"{nope", 400, "invalid JSON"),
    ("not-an-object", "/v2/models/iris/infer", b"[1,2]", 400, "JSON object"),
    ("no-inputs", "/v2/models/iris/infer", b"{}", 400, "'inputs'"),
    ("wrong-shape", "/v2/models/iris/infer", json.dumps(infer_body(X[:, :3])).encode(), 400, "the model takes"),
    ("wrong-rank", "/v2/models/iris/infer", json.dumps(infer_body(X.reshape(-1))).encode(), 400, "rank 1"),
    ("size-mismatch", "/v2/models/iris/infer", json.dumps(infer_body(X, shape=[2, 4])).encode(), 400,
     "do not fill shape"),
    ("wrong-datatype", "/v2/models/iris/infer",
     json.dumps({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": ["a", "b", "c", "d"]}]})
     .encode(), 400, "does not fit datatype FP64"),
    ("bytes-for-numbers", "/v2/models/iris/infer",
     json.dumps({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "BYTES", "data": ["a", "b", "c", "d"]}]})
     .encode(), 400, "the model takes FP64"),
    ("unknown-datatype", "/v2/models/iris/infer", json.dumps(infer_body(X, datatype="FP128")).encode(), 400,
     "unknown datatype"),
    ("unknown-output", "/v2/models/iris/infer",
     json.dumps({**infer_body(X), "outputs": [{"name": "embedding"}]}).encode(), 400, "unknown output"),
    ("unknown-model", "/v2/models/nope/infer", json.dumps(infer_body(X)).encode(), 404, "not found"),
    ("unknown-version", "/v2/models/iris/versions/v9/infer", json.dumps(infer_body(X)).encode(), 404, "not found"),
    ("too-large", "/v2/models/iris/infer", b"[" + b"1," * 40000 + b"1]", 413, "exceeds"),
    ("no-route", "/v3/whatever", b"{}", 404, "Not Found"),
]


@pytest.mark.parametrize(("path", "body", "status", "message"), [c[1:] for c in BAD_REQUESTS],
                         ids=[c[0] for c in BAD_REQUESTS])
async def test_bad_requests_get_4xx_json(client: TestClient, path: str, body: bytes, status: int,  # type: ignore[type-arg]
                                         message: str) -> None:
    resp = await client.post(path, data=body, headers={"Content-Type": "application/json"})
    assert resp.status == status
    assert message in (await resp.json())["error"]


async def test_chunked_body_over_the_limit_is_413(client: TestClient) -> None:  # type: ignore[type-arg]
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    resp = await client.post("/v2/models/iris/infer", data=chunks())
    assert resp.status == 413 and "exceeds" in (await resp.json())["error"]


async def test_metrics_count_by_code_and_describe_the_model(client: TestClient) -> None:  # type: ignore[type-arg]
    client.server.app[STATE].metrics.loaded("sha256:" + "0" * 64, "sklearn")
    await client.post("/v2/models/iris/infer", json=infer_body(X))
    await client.post("/v2/models/iris/infer", data=b"{nope")
    await client.post("/v2/models/other/infer", data=b"{}")  # not ours: not counted
    text = await (await client.get("/metrics")).text()
    snap = parse_snapshot(text)
    assert snap.requests_by_code == {"200": 1.0, "400": 1.0, "500": 0.0}
    assert 'modelyard_server_model_info{digest="sha256:' in text
    assert "modelyard_server_request_duration_seconds_bucket" in text


async def test_not_ready_before_the_model_loads() -> None:
    c = await client_for(ServerState("iris", "v1", ServerMetrics("iris", "v1")))
    try:
        assert (await c.get("/v2/health/live")).status == 200
        assert (await c.get("/v2/health/ready")).status == 503
        assert (await c.post("/v2/models/iris/infer", json=infer_body(X))).status == 503
    finally:
        await c.close()


async def test_injected_faults_are_counted_as_500(good_artifact: Artifact) -> None:
    state = ServerState("iris", "v1", ServerMetrics("iris", "v1"), model=load_model("sklearn", good_artifact.path),
                        faults=FaultPlan(error_rate=0.3))
    c = await client_for(state)
    try:
        codes = [(await c.post("/v2/models/iris/infer", json=infer_body(X))).status for _ in range(20)]
        snap = parse_snapshot(await (await c.get("/metrics")).text())
    finally:
        await c.close()
    assert codes.count(500) == 6 and codes.count(200) == 14
    assert snap.requests_by_code == {"200": 14.0, "500": 6.0}
