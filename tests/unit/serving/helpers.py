"""Shared by the serving, trainer and runtime integration tests: train artifacts, run servers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
TRAINERS = REPO / "examples" / "trainers"


@dataclass(frozen=True)
class Artifact:
    path: Path
    uri: str
    digest: str
    report: dict[str, object]


def train(out: Path, *args: str, env: dict[str, str] | None = None) -> Artifact:
    """Run the example scikit-learn trainer; return what it reported."""
    report_file = out / "report.json"
    full_env = {**os.environ, "MODELYARD_OUTPUT_URI": f"file://{out}", "MODELYARD_TERMINATION_LOG": str(report_file),
                **(env or {})}
    subprocess.run([sys.executable, str(TRAINERS / "sklearn_trainer.py"), *args], env=full_env, check=True,
                   capture_output=True, timeout=60)
    report = json.loads(report_file.read_text())
    artifact = report["artifact"]
    return Artifact(Path(artifact["uri"].removeprefix("file://")), artifact["uri"], artifact["digest"], report)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(artifact: Artifact, port: int, name: str = "iris", version: str = "v1",
                   digest: str | None = None, fmt: str = "sklearn") -> list[str]:
    return [sys.executable, "-m", "modelyard.serving.cli", "--model-uri", artifact.uri,
            "--digest", digest or artifact.digest, "--format", fmt, "--name", name, "--version", version,
            "--host", "127.0.0.1", "--port", str(port)]


def server_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "operator"), "MODELYARD_LOG_LEVEL": "WARNING", **extra}


def wait_ready(port: int, proc: subprocess.Popen[bytes], deadline_seconds: float = 20.0) -> None:
    """Poll /v2/health/ready until 200; fail if the process exits or the deadline passes."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode} before becoming ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"server on port {port} not ready within {deadline_seconds}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
