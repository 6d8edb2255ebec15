"""`modelyard sandbox up` as a user runs it: a subprocess that serves until SIGTERM, then exits 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_sandbox_up_serves_until_sigterm_then_frees_the_port(tmp_path: Path) -> None:
    port, kubeconfig = _free_port(), tmp_path / "kubeconfig"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "operator")}
    proc = subprocess.Popen([sys.executable, "-m", "modelyard", "sandbox", "up", "--kubeconfig", str(kubeconfig),
                             "--port", str(port), "--crds", str(ROOT / "crds")],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        banner = [proc.stdout.readline() for _ in range(3)]  # blocks until the sandbox prints it
        assert any(f"http://127.0.0.1:{port}" in line for line in banner), banner
        assert kubeconfig.exists() and _port_open(port)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "sandbox stopped" in out
    deadline = time.monotonic() + 5
    while _port_open(port) and time.monotonic() < deadline:  # the kernel may lag the close by a moment
        time.sleep(0.05)
    assert not _port_open(port)
