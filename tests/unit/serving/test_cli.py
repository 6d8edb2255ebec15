"""``modelyard serve`` as a process: fail closed on a tampered artifact, drain on SIGTERM."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .helpers import Artifact, free_port, server_command, server_env, stop, wait_ready

BODY = json.dumps({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64",
                               "data": [5.1, 3.5, 1.4, 0.2]}]}).encode()


def post_infer(port: int, timeout: float = 10) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v2/models/iris/infer", data=BODY,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return int(r.status)
    except urllib.error.HTTPError as err:
        return err.code


def run_to_exit(cmd: list[str], tmp_path: Path, **env: str) -> tuple[int, str, str]:
    termination = tmp_path / "termination-log"
    proc = subprocess.run(cmd, env=server_env(MODELYARD_TERMINATION_LOG=str(termination), **env),
                          capture_output=True, text=True, timeout=30)
    return proc.returncode, termination.read_text() if termination.exists() else "", proc.stderr


def test_tampered_artifact_is_refused(tampered_artifact: Artifact, tmp_path: Path) -> None:
    code, message, logs = run_to_exit(server_command(tampered_artifact, free_port()), tmp_path)
    assert code == 3
    assert message.startswith("DigestMismatch: artifact digest mismatch: expected " + tampered_artifact.digest)
    assert "refusing to serve" in logs


@pytest.mark.parametrize(("mutate", "code", "message"), [
    ({"digest": "sha256:" + "0" * 64}, 3, "digest mismatch"),
    ({"digest": "md5:abc"}, 3, "is not sha256"),
    ({"uri": "file:///nonexistent/model.joblib"}, 4, "not found"),
    ({"uri": "ftp://host/model.joblib"}, 4, "unsupported artifact URI scheme"),
    ({"fmt": "onnx"}, 5, "is not an ONNX model"),
], ids=["wrong-digest", "malformed-digest", "missing-file", "bad-scheme", "wrong-format"])
def test_refusals(good_artifact: Artifact, tmp_path: Path, mutate: dict[str, str], code: int, message: str) -> None:
    artifact = Artifact(good_artifact.path, mutate.get("uri", good_artifact.uri), good_artifact.digest, {})
    cmd = server_command(artifact, free_port(), digest=mutate.get("digest"), fmt=mutate.get("fmt", "sklearn"))
    got_code, got_message, _ = run_to_exit(cmd, tmp_path)
    assert got_code == code and message in got_message


def test_usage_error_exits_2(tmp_path: Path) -> None:
    code, _, logs = run_to_exit([sys.executable, "-m", "modelyard.serving.cli", "--format", "sklearn"], tmp_path)
    assert code == 2 and "--model-uri" in logs


def test_env_configuration_and_graceful_drain(good_artifact: Artifact, tmp_path: Path) -> None:
    """Configured by env only; SIGTERM while a slow request runs: it completes, the process exits 0."""
    port = free_port()
    env = server_env(MODELYARD_MODEL_URI=good_artifact.uri, MODELYARD_MODEL_DIGEST=good_artifact.digest,
                     MODELYARD_MODEL_FORMAT="sklearn", MODELYARD_MODEL_NAME="iris", MODELYARD_HOST="127.0.0.1",
                     MODELYARD_PORT=str(port), MODELYARD_FAULT_LATENCY="700ms",
                     MODELYARD_TERMINATION_LOG=str(tmp_path / "t"))
    proc = subprocess.Popen([sys.executable, "-m", "modelyard.serving.cli"], env=env, stderr=subprocess.PIPE)
    try:
        wait_ready(port, proc)
        result: list[int] = []
        inflight = threading.Thread(target=lambda: result.append(post_infer(port)))
        inflight.start()
        _wait_for_inflight(port)
        proc.terminate()
        inflight.join(timeout=10)
        assert proc.wait(timeout=10) == 0
        assert result == [200]
    finally:
        stop(proc)


def _wait_for_inflight(port: int) -> None:
    """Poll /metrics until the server reports the slow request in flight (deadline-bounded)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as r:
            if 'modelyard_server_requests_in_flight{model="iris",version="1"} 1.0' in r.read().decode():
                return
        time.sleep(0.02)
    raise AssertionError("the slow request never reached the server")
