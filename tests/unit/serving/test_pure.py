"""Pure parts of the server: settings, faults, protocol decoding, artifact URIs."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest

from modelyard.serving.artifacts import ArtifactError, DigestMismatch, fetch, pvc_path, sha256_file, verify_digest
from modelyard.serving.faults import FaultPlan, resolve_faults, should_fail
from modelyard.serving.protocol import ProtocolError, TensorSpec, decode_infer_request, encode_tensor
from modelyard.serving.settings import parse_duration, parse_rate, parse_settings, parse_size

REQUIRED = ["--model-uri", "file:///m", "--digest", "sha256:" + "a" * 64, "--format", "sklearn", "--name", "m"]


@pytest.mark.parametrize(("text", "seconds"), [("200ms", 0.2), ("2s", 2.0), ("1m30s", 90.0), ("1.5", 1.5),
                                               ("1h", 3600.0)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "fast", "10x", "1s2"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(("text", "size"), [("16Mi", 16 * 2**20), ("1MB", 10**6), ("512", 512), ("2Ki", 2048)])
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(("text", "rate"), [("0.3", 0.3), ("30%", 0.3), ("1", 1.0)])
def test_parse_rate(text: str, rate: float) -> None:
    assert parse_rate(text) == pytest.approx(rate)


def test_flags_win_over_env_and_env_fills_the_rest() -> None:
    env = {"MODELYARD_MODEL_NAME": "from-env", "MODELYARD_MODEL_VERSION": "7", "MODELYARD_FAULT_LATENCY": "200ms",
           "MODELYARD_FAULT_ERROR_RATE": "10%", "MODELYARD_MAX_BODY": "1Mi", "MODELYARD_TERMINATION_LOG": "/t"}
    s = parse_settings([*REQUIRED, "--port", "9000"], env)
    assert (s.name, s.version, s.port, s.max_body_bytes) == ("m", "7", 9000, 2**20)
    assert (s.fault_latency_seconds, s.fault_error_rate, s.termination_log) == (0.2, 0.1, "/t")


@pytest.mark.parametrize("argv", [REQUIRED[2:], REQUIRED[:6]], ids=["no-uri", "no-name"])
def test_missing_required_is_a_usage_error(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_settings(argv, {})
    assert exc.value.code == 2


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.25, 0.5, 1.0])
def test_fault_share_is_exact(rate: float) -> None:
    assert sum(should_fail(n, rate) for n in range(1000)) == round(1000 * rate)


def test_env_faults_win_over_the_models() -> None:
    assert resolve_faults(None, 0.05, {"errorRate": 0.5, "latency": "1s"}) == FaultPlan(0.5, 0.05)
    assert resolve_faults(None, None, {"errorRate": "garbage"}) == FaultPlan(0.0, 0.0)


SPECS = [TensorSpec("a", "FP32", (-1, 2)), TensorSpec("b", "INT64", (-1,))]


def request(*tensors: dict[str, object]) -> bytes:
    return json.dumps({"inputs": list(tensors)}).encode()


def test_decode_by_name_and_cast_to_the_models_datatype() -> None:
    body = request({"name": "b", "shape": [2], "datatype": "INT32", "data": [1, 2]},
                   {"name": "a", "shape": [2, 2], "datatype": "FP64", "data": [[1, 2], [3, 4]]})
    decoded = decode_infer_request(body, SPECS)
    assert decoded.inputs["a"].dtype == np.float32 and decoded.inputs["a"].shape == (2, 2)
    assert decoded.inputs["b"].dtype == np.int64


@pytest.mark.parametrize(("tensors", "message"), [
    ([{"name": "a", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}], "missing input(s) b"),
    ([{"name": "a", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]},
      {"name": "c", "shape": [1], "datatype": "INT64", "data": [1]}], "unknown input(s) c"),
    ([{"name": "a", "shape": [-1, 2], "datatype": "FP32", "data": [1, 2]}], "non-negative"),
    ([{"name": "a", "shape": [1, 2], "datatype": "FP32", "data": 5}], "data must be a list"),
    ([{"name": "a", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3]]}], "does not fit datatype"),
    ([{"name": "", "shape": [1], "datatype": "FP32", "data": [1]}], "non-empty string"),
    (["a"], "must be an object"),
], ids=["missing", "unknown", "negative-dim", "data-not-list", "ragged", "no-name", "not-object"])
def test_decode_refuses(tensors: list[object], message: str) -> None:
    with pytest.raises(ProtocolError) as exc:
        decode_infer_request(json.dumps({"inputs": tensors}).encode(), SPECS)
    assert message in str(exc.value) and exc.value.status == 400


def test_encode_tensor() -> None:
    assert encode_tensor("p", np.array([[1.5, 2.0]], dtype=np.float32)) == {
        "name": "p", "datatype": "FP32", "shape": [1, 2], "data": [1.5, 2.0]}
    assert encode_tensor("s", np.array(["x", "y"]))["datatype"] == "BYTES"


def test_pvc_uri_maps_under_the_root() -> None:
    assert pvc_path("pvc://claim/a/b.joblib", "/mnt/models") == Path("/mnt/models/claim/a/b.joblib")
    with pytest.raises(ArtifactError):
        pvc_path("pvc://claim/../../etc/passwd", "/mnt/models")


def test_fetch_pvc_and_digest(tmp_path: Path) -> None:
    (tmp_path / "claim" / "m").mkdir(parents=True)
    f = tmp_path / "claim" / "m" / "model.bin"
    f.write_bytes(b"model")
    path = fetch("pvc://claim/m/model.bin", pvc_root=str(tmp_path))
    assert verify_digest(path, sha256_file(f)) == sha256_file(f)
    with pytest.raises(DigestMismatch):
        verify_digest(path, "sha256:" + "0" * 64)


@pytest.mark.parametrize(("uri", "message"), [
    ("s3://bucket/key", "pip install 'modelyard[s3]'"),
    ("gs://bucket/key", "pip install 'modelyard[gcs]'"),
], ids=["s3", "gcs"])
def test_missing_extras_are_named(uri: str, message: str, tmp_path: Path) -> None:
    module = "boto3" if uri.startswith("s3") else "google.cloud.storage"
    try:
        importlib.import_module(module)
        pytest.skip(f"{module} is installed here")
    except ImportError:
        pass
    with pytest.raises(ArtifactError, match=message.replace("[", r"\[").replace("]", r"\]")):
        fetch(uri, pvc_root="/mnt/models", cache_dir=str(tmp_path))
