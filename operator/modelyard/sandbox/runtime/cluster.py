"""A whole sandbox cluster in the current event loop: API server, simulated controllers, the operator.

    async with SandboxCluster(crds="crds", operator=True) as cluster:
        kube = cluster.kube                # an adapters.kube.KubeClient for the API
        cluster.behaviours.add(...)        # what simulated pods do
        cluster.faults                     # the API server's fault rules

Stopping (leaving the block) stops the operator, the controllers, every local process and proxy, then
the API server; nothing outlives it. The operator reads ``KUBECONFIG``, which is set for the process
while the cluster runs (one sandbox with an operator per process).
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from modelyard.adapters.kube import Connection, KubeClient
from modelyard.sandbox.context import no_logs
from modelyard.sandbox.controllers import PodBehaviours, SimulatedControllers, Timing
from modelyard.sandbox.faults import Faults
from modelyard.sandbox.server import SandboxAPI, write_kubeconfig

log = logging.getLogger(__name__)


class SandboxCluster:
    """API + simulated controllers (+ local pod runtime) (+ the Modelyard operator), as one async context."""

    def __init__(self, *, crds: Path | str | None = "crds", operator: bool = True, port: int = 0,
                 kubeconfig: Path | str | None = None, timing: Timing | None = None, local_runtime: bool = False,
                 unknown_images: str = "simulate", workdir: Path | str | None = None, resync: float = 5.0) -> None:
        self.api = SandboxAPI([crds] if crds else [], port=port, log_source=no_logs)
        self.behaviours = PodBehaviours(timing)
        self.with_operator = operator
        self._kubeconfig = Path(kubeconfig) if kubeconfig else None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._workdir = Path(workdir) if workdir else None
        self._local, self._unknown, self._resync = local_runtime, unknown_images, resync
        self.runtime: Any = None
        self.endpoints: Any = None
        self.controllers: SimulatedControllers | None = None
        self.kube: KubeClient | None = None
        self.url = ""
        self.kubeconfig = Path()
        self._stop_operator = threading.Event()
        self._operator_thread: threading.Thread | None = None
        self._old_kubeconfig: str | None = None

    @property
    def faults(self) -> Faults:
        return self.api.faults

    @property
    def workdir(self) -> Path:
        """Where local pods keep their files (termination messages, logs, artifacts)."""
        assert self._workdir is not None
        return self._workdir

    async def start(self) -> None:
        if self._workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="modelyard-sandbox-")
            self._workdir = Path(self._tmp.name)
        self.runtime = self._make_runtime()
        self.url = await self.api.start()
        self.kubeconfig = write_kubeconfig(self._kubeconfig or self.workdir / "kubeconfig", self.url)
        self.kube = KubeClient(Connection(self.url), backoff=0.05)
        if self.runtime is not None:
            self.runtime.kube = self.kube
        self.controllers = SimulatedControllers(self.url, self.behaviours, runtime=self.runtime,
                                                unknown_images=self._unknown, resync=self._resync)
        await self.controllers.start()
        if self._local:
            await self._start_endpoints()
        if self.with_operator:
            await self._start_operator()

    def _make_runtime(self) -> Any:
        if not self._local:
            return None
        from modelyard.sandbox.runtime.local import LocalRuntime

        runtime = LocalRuntime(self.workdir)
        self.api.ctx.log_source = runtime.logs
        return runtime

    async def _start_endpoints(self) -> None:
        """Services and HTTPRoutes get local endpoints (reverse proxies over the ready local pods)."""
        from modelyard.sandbox.runtime.endpoints import LocalEndpoints

        self.endpoints = LocalEndpoints(self.url)
        await self.endpoints.start()

    async def _start_operator(self) -> None:
        """The operator runs in its own thread and event loop: kopf treats every task of its loop as its
        own (it waits for and cancels them on exit), which must not include the API server's."""
        # Import in this thread what the operator's thread would import on its first run: CPython 3.11 can fail
        # with "AST constructor recursion depth mismatch" when two threads compile at once (an import creating
        # dataclasses here, a traceback being formatted there).

        import modelyard.handlers  # noqa: F401
        from modelyard.config import Settings
        from modelyard.runner import operate

        # In a thread kopf cannot install signal handlers and warns so once per start: expected here.
        logging.getLogger("kopf._core.reactor.running").setLevel(logging.ERROR)

        self._old_kubeconfig = os.environ.get("KUBECONFIG")
        _point_kube_clients_at(self.kubeconfig)
        settings = Settings(liveness_endpoint=None, metrics_port=0, watch_server_timeout=30,
                            watch_client_timeout=40, watch_inactivity_timeout=45)
        ready = threading.Event()
        self._operator_thread = threading.Thread(
            target=asyncio.run, args=(operate(settings, stop_flag=self._stop_operator, ready_flag=ready),),
            daemon=True, name="modelyard-operator")
        self._operator_thread.start()
        if not await asyncio.to_thread(ready.wait, 30):
            await self.stop()
            raise RuntimeError("the operator did not become ready within 30s")

    @property
    def operator_running(self) -> bool:
        return self._operator_thread is not None and self._operator_thread.is_alive()

    async def stop(self) -> None:
        await self._stop_operator_thread()
        if self.controllers is not None:
            await self.controllers.stop()
        if self.endpoints is not None:
            await self.endpoints.stop()
            self.endpoints = None
        if self.runtime is not None:
            await self.runtime.stop()
        if self.kube is not None:
            await self.kube.close()
        await self.api.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def restart_operator(self) -> None:
        """Stop the operator (its thread, event loop, kopf and API client) and start a fresh one: what a
        pod restart does, with everything in memory lost. Fault suites use it to kill at any point."""
        await self._stop_operator_thread()
        self._stop_operator = threading.Event()
        await self._start_operator()

    async def _stop_operator_thread(self) -> None:
        if self._operator_thread is None:
            return
        self._stop_operator.set()
        await asyncio.to_thread(self._operator_thread.join, 20)
        if self._operator_thread.is_alive():
            log.warning("the operator did not stop within 20s")
        self._operator_thread = None
        _point_kube_clients_at(self._old_kubeconfig)

    async def __aenter__(self) -> SandboxCluster:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()


def _point_kube_clients_at(kubeconfig: Path | str | None) -> None:
    """Set ``KUBECONFIG`` for the operator (kopf's login and our adapter use the kubernetes package's loader,
    which reads the variable once at import: its default location is updated too)."""
    if kubeconfig is None:
        os.environ.pop("KUBECONFIG", None)
    else:
        os.environ["KUBECONFIG"] = str(kubeconfig)
    from kubernetes.config import kube_config

    kube_config.KUBE_CONFIG_DEFAULT_LOCATION = os.environ.get("KUBECONFIG", "~/.kube/config")
