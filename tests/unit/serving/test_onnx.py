"""The ONNX format: the same iris model converted with skl2onnx answers like the original."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sklearn.datasets import load_iris

from modelyard.serving.app import ServerState, build_app
from modelyard.serving.loaders import load_model
from modelyard.serving.telemetry import ServerMetrics

from .helpers import Artifact

pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")


async def test_onnx_model_serves_like_the_sklearn_one(good_artifact: Artifact, tmp_path: Path) -> None:
    from skl2onnx.common.data_types import FloatTensorType

    estimator = joblib.load(good_artifact.path)
    onx = skl2onnx.convert_sklearn(estimator, initial_types=[("input", FloatTensorType([None, 4]))],
                                   options={id(estimator): {"zipmap": False}})
    path = tmp_path / "model.onnx"
    path.write_bytes(onx.SerializeToString())
    model = load_model("onnx", path)
    assert model.inputs[0].datatype == "FP32" and model.inputs[0].shape == (-1, 4)
    x = load_iris().data[:5]
    client: TestClient = TestClient(TestServer(build_app(  # type: ignore[type-arg]
        ServerState("iris", "1", ServerMetrics("iris", "1"), model=model))))
    await client.start_server()
    try:
        resp = await client.post("/v2/models/iris/infer", json={"inputs": [
            {"name": "input", "shape": [5, 4], "datatype": "FP64", "data": x.reshape(-1).tolist()}],
            "outputs": [{"name": "label"}]})
        body = await resp.json()
        bad = await client.post("/v2/models/iris/infer", json={"inputs": [
            {"name": "input", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]})
    finally:
        await client.close()
    assert resp.status == 200, body
    assert body["outputs"][0]["data"] == estimator.predict(x).tolist()
    assert bad.status == 400
    assert np.asarray(body["outputs"][0]["data"]).shape == (5,)
