"""The local pod runtime: pods the sandbox knows how to run become real local processes.

Runnable: an image containing ``modelyard`` whose command/args name ``serve`` (the model server), a
command running ``examples/trainers/...``, or any pod annotated ``sandbox.modelyard.io/run-local: "true"``.
The first container runs (others are not started); each ``containerPort`` gets a free local port
(annotation ``sandbox.modelyard.io/ports``: ``{"8080": 41234}``; ``podIP`` is 127.0.0.1), the
termination message file is redirected into the sandbox directory, stdout/stderr are kept as the pod's
log, readiness comes from the HTTP readinessProbe, restarts follow ``restartPolicy``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from modelyard.adapters.kube import MERGE, PODS, KubeClient
from modelyard.sandbox.controllers import podstatus as ps
from modelyard.sandbox.controllers.base import now
from modelyard.sandbox.controllers.common import rfc3339
from modelyard.sandbox.runtime import process, volumes

JsonDict = dict[str, Any]
Report = Callable[[JsonDict], Awaitable[None]]
RUN_LOCAL = "sandbox.modelyard.io/run-local"
PORTS = "sandbox.modelyard.io/ports"
LOCAL_IP = "127.0.0.1"
log = logging.getLogger(__name__)
_LIVE_GROUPS: set[int] = set()


@atexit.register
def _kill_leftovers() -> None:
    for pid in list(_LIVE_GROUPS):
        process.kill_group(pid)


def can_run_locally(pod: JsonDict) -> bool:
    if (pod.get("metadata", {}).get("annotations") or {}).get(RUN_LOCAL) == "true":
        return True
    for c in pod.get("spec", {}).get("containers", [])[:1]:
        words = [*c.get("command", []), *c.get("args", [])]
        if "modelyard" in c.get("image", "") and "serve" in words:
            return True
        if any("examples/trainers/" in w for w in words):
            return True
    return False


class LocalRuntime:
    def __init__(self, workdir: Path, *, root: Path | None = None, kube: KubeClient | None = None,
                 crash_backoff: float = 0.5) -> None:
        self.workdir, self.root = workdir, root or default_root()
        self.kube = kube
        self.crash_backoff = crash_backoff
        self.pids: set[int] = set()

    def can_run(self, pod: JsonDict) -> bool:
        return can_run_locally(pod)

    def pod_dir(self, namespace: str, name: str) -> Path:
        return self.workdir / "pods" / namespace / name

    def logs(self, namespace: str, name: str, container: str) -> str:
        path = self.pod_dir(namespace, name) / f"{container}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def stop(self) -> None:
        for pid in list(self.pids):
            process.kill_group(pid)
        self.pids.clear()

    async def run(self, pod: JsonDict, report: Report) -> None:
        container = pod["spec"]["containers"][0]
        ports = {int(p["containerPort"]): process.free_port() for p in container.get("ports", [])}
        await report(ps.pending_status(pod, rfc3339(now())))
        await self._annotate_ports(pod, ports)
        policy, restarts = pod["spec"].get("restartPolicy", "Always"), 0
        while True:
            end = await self._run_once(pod, container, ports, report, restarts)
            if policy == "Never" or (policy == "OnFailure" and end.exit_code == 0):
                await report(ps.terminated_status(pod, rfc3339(now()), end, pod_ip=LOCAL_IP, restarts=restarts))
                return
            restarts += 1
            backoff = min(self.crash_backoff * 2 ** (restarts - 1), 10.0)
            await report(ps.crashloop_status(pod, rfc3339(now()), end, pod_ip=LOCAL_IP, restarts=restarts,
                                             backoff=backoff))
            await asyncio.sleep(backoff)

    async def _annotate_ports(self, pod: JsonDict, ports: dict[int, int]) -> None:
        if self.kube is None or not ports:
            return
        md = pod["metadata"]
        body = {"metadata": {"annotations": {PORTS: json.dumps({str(k): v for k, v in ports.items()})}}}
        await self.kube.patch(PODS, md.get("namespace"), md["name"], body, content_type=MERGE)

    async def _run_once(self, pod: JsonDict, container: JsonDict, ports: dict[int, int], report: Report,
                        restarts: int) -> ps.Terminated:
        md = pod["metadata"]
        pdir = self.pod_dir(md.get("namespace", ""), md["name"])
        term = pdir / "termination-log"
        pdir.mkdir(parents=True, exist_ok=True)
        term.write_text("")
        mounts = await volumes.materialize(self.kube, pod, container, pdir)
        env = _server_defaults(container, ports, process.build_env(pod, container, ports, term))
        env = {k: self._remap(v, mounts) for k, v in env.items()}
        argv = [self._remap(a, mounts) for a in process.map_args(process.build_argv(container, env), ports)]
        cwd = _working_dir(container, self.root)
        started = rfc3339(now())
        proc = await process.spawn(argv, env, cwd, pdir / f"{container.get('name', 'main')}.log")
        self.pids.add(proc.pid)
        _LIVE_GROUPS.add(proc.pid)
        try:
            probe = asyncio.create_task(self._readiness(pod, container, ports, report, started, restarts))
            probe.add_done_callback(_retrieve)  # a probe that outlives its pod (404) just ends
            code = await proc.wait()
            probe.cancel()
        finally:
            if proc.returncode is None:  # the pod was deleted: SIGTERM, a grace period, then SIGKILL
                await process.terminate_group(proc, _grace_seconds(pod))
            process.kill_group(proc.pid, signal.SIGKILL)  # whatever the container left behind
            self.pids.discard(proc.pid)
            _LIVE_GROUPS.discard(proc.pid)
        code = code if code >= 0 else 128 - code
        message = term.read_text(errors="replace")[:4096] if term.exists() else ""
        return ps.Terminated(code, "Completed" if code == 0 else "Error", message, started, rfc3339(now()))

    def _remap(self, text: str, mounts: dict[str, Path]) -> str:
        """Paths under a mounted volume point at its local copy. Paths already in the sandbox stay, and so do
        files of this machine (the interpreter, the checkout): a checkout under /tmp is not the pod's /tmp."""
        if text.startswith(str(self.workdir)) or _exists_here(text):
            return text
        return volumes.remap(text, mounts)

    async def _readiness(self, pod: JsonDict, container: JsonDict, ports: dict[int, int], report: Report,
                         started: str, restarts: int) -> None:
        """Probe for as long as the container runs, like the kubelet: Ready after a success, unready after
        ``failureThreshold`` failures in a row (period: 0.2 s until first Ready, then ``periodSeconds`` up to 1 s)."""
        probe = container.get("readinessProbe")
        await report(ps.running_status(pod, started, started_at=started, ready=probe is None, pod_ip=LOCAL_IP,
                                       restarts=restarts))
        if probe is None or "httpGet" not in probe:
            return
        url = _probe_url(probe["httpGet"], container, ports)
        period, threshold = min(float(probe.get("periodSeconds", 1)), 1.0), int(probe.get("failureThreshold", 3))
        ready, failures = False, 0
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while True:
                ok = await _probe_once(session, url)
                failures = 0 if ok else failures + 1
                if ok != ready and (ok or failures >= threshold):
                    ready = ok
                    await report(ps.running_status(pod, rfc3339(now()), started_at=started, ready=ready,
                                                   pod_ip=LOCAL_IP, restarts=restarts))
                await asyncio.sleep(period if ready else min(period, 0.2))


def _retrieve(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()


async def _probe_once(session: aiohttp.ClientSession, url: str) -> bool:
    with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
        async with session.get(url) as resp:
            return 200 <= resp.status < 400
    return False


def _server_defaults(container: JsonDict, ports: dict[int, int], env: dict[str, str]) -> dict[str, str]:
    """The model server listens on its container port by default: tell it the mapped local one (and loopback)."""
    words = [*container.get("command", []), *container.get("args", [])]
    if ports and "modelyard" in container.get("image", "") and "serve" in words:
        env.setdefault("MODELYARD_PORT", str(next(iter(ports.values()))))
        env.setdefault("MODELYARD_HOST", LOCAL_IP)
    return env


def _exists_here(text: str) -> bool:
    """Whether ``text`` names an existing file or directory of this machine (below the root directory)."""
    if not text.startswith("/") or text == "/" or len(text) > 4096 or "\0" in text:
        return False
    try:
        return Path(text).exists() and Path(text).parent != Path("/")
    except OSError:
        return False


def default_root() -> Path:
    """Where relative commands run (``python examples/trainers/...``): the checkout this package lives in,
    wherever ``modelyard sandbox up`` was started from; the working directory for an installed package."""
    checkout = Path(__file__).resolve().parents[4]
    return checkout if (checkout / "examples" / "trainers").is_dir() else Path.cwd()


def _working_dir(container: JsonDict, root: Path) -> Path:
    """The container's ``workingDir`` when it exists here, else the sandbox's root (the checkout)."""
    wanted = container.get("workingDir")
    return Path(wanted) if wanted and Path(wanted).is_dir() else root


def _probe_url(get: JsonDict, container: JsonDict, ports: dict[int, int]) -> str:
    port = get.get("port")
    if isinstance(port, str) and not port.isdigit():
        port = next((p["containerPort"] for p in container.get("ports", []) if p.get("name") == port), 0)
    local = ports.get(int(port or 0), int(port or 0))
    return f"http://{LOCAL_IP}:{local}{get.get('path', '/')}"


#: The sandbox caps a pod's terminationGracePeriodSeconds (Kubernetes' default is 30 s) to keep stops quick.
MAX_GRACE_SECONDS = 5.0


def _grace_seconds(pod: JsonDict) -> float:
    """The pod's termination grace period, as the kubelet reads it, capped for the sandbox.

    >>> _grace_seconds({"spec": {}}), _grace_seconds({"spec": {"terminationGracePeriodSeconds": 1}})
    (5.0, 1.0)
    """
    grace = pod.get("spec", {}).get("terminationGracePeriodSeconds", 30)
    return min(float(grace), MAX_GRACE_SECONDS) if isinstance(grace, int | float) else MAX_GRACE_SECONDS
