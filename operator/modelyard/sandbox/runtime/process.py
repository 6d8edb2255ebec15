"""Turning a container spec into a local process: argv, env (with downward-API basics), ports, files.

Pure helpers except :func:`spawn` and :func:`kill_group`; processes run in their own process group,
die with the sandbox (``PR_SET_PDEATHSIG`` on Linux) and are killed as a group.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

JsonDict = dict[str, Any]
DEFAULT_TERMINATION_PATH = "/dev/termination-log"
_PYTHONS = {"python", "python3", f"python3.{sys.version_info.minor}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def build_argv(container: Mapping[str, Any], env: Mapping[str, str]) -> list[str]:
    """``command`` + ``args`` with ``$(VAR)`` expanded; python and ``modelyard`` run from this interpreter.

    >>> build_argv({"image": "ghcr.io/modelyard/modelyard:0.1", "args": ["serve", "--port", "$(P)"]}, {"P": "9"})[1:]
    ['-m', 'modelyard', 'serve', '--port', '9']
    """
    argv = [_expand(a, env) for a in [*container.get("command", []), *container.get("args", [])]]
    if not container.get("command") and "modelyard" in container.get("image", ""):
        argv = ["modelyard", *argv]
    if argv and argv[0] == "modelyard":
        return [sys.executable, "-m", "modelyard", *argv[1:]]
    if argv and Path(argv[0]).name in _PYTHONS:
        return [sys.executable, *argv[1:]]
    return argv


def _expand(text: str, env: Mapping[str, str]) -> str:
    for key, value in env.items():
        text = text.replace(f"$({key})", value)
    return text


def build_env(pod: Mapping[str, Any], container: Mapping[str, Any], ports: Mapping[int, int],
              termination_file: Path) -> dict[str, str]:
    """The container's env over a minimal host env; fieldRefs resolved; ports and the termination path mapped."""
    md = pod.get("metadata", {})
    fields = {"metadata.name": md.get("name", ""), "metadata.namespace": md.get("namespace", ""),
              "metadata.uid": md.get("uid", ""), "status.podIP": "127.0.0.1", "status.hostIP": "127.0.0.1",
              "spec.nodeName": "sandbox", "spec.serviceAccountName": pod.get("spec", {}).get("serviceAccountName", "")}
    term_path = container.get("terminationMessagePath", DEFAULT_TERMINATION_PATH)
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR") if k in os.environ}
    for var in container.get("env", []):
        value = var.get("value")
        ref = (var.get("valueFrom") or {}).get("fieldRef", {}).get("fieldPath")
        if ref is not None:
            value = fields.get(ref) or _annotation(md, ref)
        if value is None:
            continue
        value = str(termination_file) if value == term_path else _map_port(str(value), ports)
        env[var["name"]] = _expand(value, env)
    env.setdefault("HOSTNAME", pod.get("spec", {}).get("hostname") or md.get("name", ""))
    return env


def _annotation(md: Mapping[str, Any], ref: str) -> str | None:
    prefix = "metadata.annotations['"
    if ref.startswith(prefix) and ref.endswith("']"):
        value: str | None = (md.get("annotations") or {}).get(ref[len(prefix):-2])
        return value
    return None


def map_args(argv: list[str], ports: Mapping[int, int]) -> list[str]:
    """Container ports named in the arguments become the mapped local ports.

    >>> map_args(["serve", "--port", "8080", "--x=8080"], {8080: 40001})
    ['serve', '--port', '40001', '--x=40001']
    """
    return [_map_port(a, ports) for a in argv]


def _map_port(text: str, ports: Mapping[int, int]) -> str:
    for container_port, local in ports.items():
        if text == str(container_port):
            return str(local)
        for sep in ("=", ":"):
            if text.endswith(f"{sep}{container_port}"):
                return text[: -len(str(container_port))] + str(local)
    return text


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


async def spawn(argv: list[str], env: Mapping[str, str], cwd: Path, log: Path) -> asyncio.subprocess.Process:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, env=dict(env), stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
            start_new_session=True, preexec_fn=_die_with_parent if sys.platform == "linux" else None)


async def terminate_group(proc: asyncio.subprocess.Process, grace: float) -> None:
    """SIGTERM to the process group, then wait up to ``grace`` seconds for the process to exit, as the
    kubelet does for a deleted pod: a server finishes its in-flight requests instead of dropping them."""
    kill_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(proc.wait()), grace)


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
