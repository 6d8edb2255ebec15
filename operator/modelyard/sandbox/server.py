"""Running a sandbox API server in the current event loop, and a kubeconfig pointing at it.

    api = SandboxAPI(crd_paths=["crds"])
    url = await api.start()              # http://127.0.0.1:PORT (a free port)
    write_kubeconfig(path, url)          # for kubectl, the kubernetes client, kopf
    ...
    await api.stop()                     # closes watches, frees the port

``api.store`` is the in-memory store (synchronous; use it from the loop's thread), ``api.faults`` the
fault rules, ``api.requests`` the request log. ``api.store.storage.add_listener`` subscribes to every
change in-process; simulated controllers should prefer the HTTP API, like real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import yaml
from aiohttp import web

from modelyard.sandbox.apiserver import make_app
from modelyard.sandbox.cluster import new_store
from modelyard.sandbox.context import LogSource, ServerContext, no_logs
from modelyard.sandbox.faults import Faults, RequestLog
from modelyard.sandbox.objects import Clock, utcnow
from modelyard.sandbox.store import Store


class SandboxAPI:
    """One sandbox cluster's API server."""

    def __init__(
        self,
        crd_paths: Iterable[Path | str] = (),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock = utcnow,
        seed: int = 0,
        log_source: LogSource = no_logs,
        bookmark_interval: float = 10.0,
        history_size: int = 10_000,
    ) -> None:
        self.host = host
        self.port = port
        self.store: Store = new_store(crd_paths, clock=clock, seed=seed, history_size=history_size)
        self.ctx = ServerContext(
            store=self.store,
            faults=Faults(seed),
            requests=RequestLog(),
            log_source=log_source,
            bookmark_interval=bookmark_interval,
        )
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def faults(self) -> Faults:
        """Fault rules (programmable at run time)."""
        return self.ctx.faults

    @property
    def requests(self) -> RequestLog:
        """Every API request served."""
        return self.ctx.requests

    async def start(self) -> str:
        """Listen on host:port (0 = a free port) and return the server URL."""
        self._runner = web.AppRunner(make_app(self.ctx), handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        self.url = f"http://{self.host}:{self.port}"
        self.ctx.server_address = f"{self.host}:{self.port}"
        return self.url

    async def stop(self) -> None:
        """Close every watch, then stop serving."""
        for watcher in self.store.storage.watchers():
            self.store.unwatch(watcher)
        if self._runner is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxAPI:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


def write_kubeconfig(
    path: Path | str, url: str, *, context: str = "sandbox", namespace: str = "default"
) -> Path:
    """Write a kubeconfig for a plain-http, no-auth server (kubectl accepts ``server: http://...``)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": context, "cluster": {"server": url}}],
        "users": [{"name": context, "user": {}}],
        "contexts": [
            {"name": context, "context": {"cluster": context, "user": context, "namespace": namespace}}
        ],
        "current-context": context,
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target
