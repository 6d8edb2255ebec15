"""Fakes for the metric providers: a tiny aiohttp server answering canned responses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from modelyard.api.inferenceservice import AnalysisMetric

NOW = datetime(2026, 1, 1, tzinfo=UTC)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ServerFactory = Callable[[dict[str, Handler]], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[ServerFactory]:
    """``await serve({"/path": handler})`` -> base URL of a loopback server; closed after the test."""
    servers: list[TestServer] = []

    async def start(routes: dict[str, Handler]) -> str:
        app = web.Application()
        for path, handler in routes.items():
            app.router.add_get(path, handler)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


def metric(provider: dict[str, object], name: str = "m") -> AnalysisMetric:
    return AnalysisMetric.model_validate({"name": name, "provider": provider, "threshold": {"max": 1}})
