"""The processes of a benchmark run: the sandbox cluster and one operator, each in its own process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import aiohttp
from bench.stats import proc_status_kib

ROOT = Path(__file__).resolve().parents[1]
DEPS = ROOT / "bench" / ".deps"  # bench-only packages (pyinstrument), see mk/bench.mk


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(ROOT / "operator"), str(ROOT), str(DEPS), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Process:
    """A child process with its output in a log file; stopped with SIGINT, then SIGKILL."""

    def __init__(self, name: str, argv: list[str], log_dir: Path, env: dict[str, str]) -> None:
        self.name, self.argv, self.env = name, argv, env
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def status_field(self, field: str = "VmRSS") -> int | None:
        """A KiB field of /proc/PID/status (VmRSS, VmHWM); None once the process is gone."""
        try:
            text = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        return proc_status_kib(text, field)

    async def stop(self, grace: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + grace
        while self.proc.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110 (a child process)
            await asyncio.sleep(0.1)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Sandbox:
    """``async with Sandbox(log_dir) as sb``: the API server and simulated controllers; ``sb.url``."""

    def __init__(self, log_dir: Path) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="modelyard-bench-")
        tmp = Path(self._tmp.name)
        self.kubeconfig, self._url_file = tmp / "kubeconfig", tmp / "url"
        argv = [sys.executable, "-m", "bench.sandbox_server", "--kubeconfig", str(self.kubeconfig),
                "--url-file", str(self._url_file), "--crds", str(ROOT / "crds")]
        self.process = Process("sandbox", argv, log_dir, _env())
        self.url = ""

    async def __aenter__(self) -> Sandbox:
        self.process.start()
        deadline = time.monotonic() + 60
        while not self._url_file.exists():
            if not self.process.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not start; see {self.process.log_path}")
            await asyncio.sleep(0.05)
        self.url = self._url_file.read_text().strip()
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.process.stop()
        self._tmp.cleanup()


def operator_argv(which: str, port: int, profile: Path | None = None) -> list[str]:
    """The command line of ``ours`` (``modelyard run``) or ``baseline`` (kopf run bench/baseline_operator.py)."""
    if which == "ours":
        program = ["-m", "modelyard", "run", "--liveness-port", str(port), "--metrics-port", "0"]
    else:
        program = ["-m", "kopf", "run", "--standalone", "--all-namespaces", "--liveness",
                   f"http://127.0.0.1:{port}/healthz", str(ROOT / "bench" / "baseline_operator.py")]
    if profile is not None:
        return [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(profile), *program]
    return [sys.executable, *program]


class Operator:
    """``async with Operator("ours" | "baseline", sandbox, log_dir)``: up once its liveness probe answers."""

    def __init__(self, which: str, sandbox: Sandbox, log_dir: Path, *, profile: Path | None = None,
                 resync: float | None = None) -> None:
        self.which, self.port = which, free_port()
        extra = {"KUBECONFIG": str(sandbox.kubeconfig)}
        if resync is not None:
            extra["MODELYARD_RESYNC_SECONDS"] = str(resync)
        self.process = Process(which, operator_argv(which, self.port, profile), log_dir, _env(**extra))

    async def __aenter__(self) -> Operator:
        self.process.start()
        url, deadline = f"http://127.0.0.1:{self.port}/healthz", time.monotonic() + 60
        async with aiohttp.ClientSession() as session:
            while True:
                if not self.process.alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"operator {self.which} did not start; see {self.process.log_path}")
                try:
                    async with session.get(url) as resp:
                        if resp.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.process.stop()

    def rss_kib(self) -> int | None:
        return self.process.status_field("VmRSS")

    def peak_rss_kib(self) -> int | None:
        return self.process.status_field("VmHWM")
