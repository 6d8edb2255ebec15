"""One local endpoint of the sandbox: a small aiohttp reverse proxy on a free loopback port.

Each request goes to the backend its ``choose`` callback picks at that moment (so endpoints follow pod
readiness without a restart). No backend: 503 with a body that says why, at once. A backend that refuses
the connection (a pod that just died) is skipped for the next pick, once; other failures give 502/504.
Timeouts are bounded (connect 2 s, whole request 30 s). ``stats`` counts answers per pod and failures.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from modelyard.sandbox.runtime.traffic import LOCAL_IP, Backend

log = logging.getLogger(__name__)
POD_HEADER = "X-Sandbox-Pod"
SERVICE_HEADER = "X-Sandbox-Service"
UNAVAILABLE, ERRORS = "unavailable", "errors"
_HOP_BY_HOP = frozenset(h.lower() for h in (
    "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailers",
    "Transfer-Encoding", "Upgrade", "Host", "Content-Length"))


@dataclass(frozen=True)
class Target:
    """Where one request goes: a backend pod (and the Service it was picked from)."""

    backend: Backend
    service: str = ""


#: A pick: a target, or the reason there is none (the 503's body).
Choice = Target | str


class Proxy:
    """``await proxy.start()`` returns its URL; ``await proxy.stop()`` closes the port."""

    def __init__(self, name: str, choose: Callable[[], Choice], *, timeout: float = 30.0,
                 connect_timeout: float = 2.0) -> None:
        self.name, self.choose = name, choose
        self.stats: Counter[str] = Counter()
        self.url = ""
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, LOCAL_IP, 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self._session = aiohttp.ClientSession(timeout=self._timeout, auto_decompress=False)
        self.url = f"http://{LOCAL_IP}:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        tried: set[str] = set()
        for _ in range(2):
            choice = self.choose()
            if isinstance(choice, str):
                self.stats[UNAVAILABLE] += 1
                return web.Response(status=503, text=f"sandbox: {self.name}: {choice}\n")
            if choice.backend.url in tried:
                break
            tried.add(choice.backend.url)
            with contextlib.suppress(aiohttp.ClientConnectorError):
                return await self._forward(request, body, choice)
        self.stats[ERRORS] += 1
        return web.Response(status=502, text=f"sandbox: {self.name}: no backend accepted the connection\n")

    async def _forward(self, request: web.Request, body: bytes, target: Target) -> web.Response:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        url = target.backend.url + request.rel_url.raw_path_qs
        try:
            async with self._session.request(request.method, url, headers=headers, data=body or None,
                                             allow_redirects=False) as resp:
                payload = await resp.read()
                out = {k: v for k, v in resp.headers.items() if k.lower() not in _HOP_BY_HOP}
                status = resp.status
        except aiohttp.ClientConnectorError:
            raise
        except (aiohttp.ClientError, TimeoutError) as e:
            self.stats[ERRORS] += 1
            code = 504 if isinstance(e, TimeoutError) else 502
            return web.Response(status=code, text=f"sandbox: {self.name}: pod {target.backend.pod}: {e!r}\n")
        self.stats[target.backend.pod] += 1
        out[POD_HEADER] = target.backend.pod
        if target.service:
            out[SERVICE_HEADER] = target.service
        return web.Response(status=status, body=payload, headers=out)
