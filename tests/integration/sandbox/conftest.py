"""Fixtures: a running sandbox API server with the Widget test CRD, an HTTP client, a kubeconfig."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sandbox_helpers import WIDGET_CRD, pod_logs

from modelyard.sandbox import SandboxAPI, write_kubeconfig


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxAPI]:
    api = SandboxAPI([WIDGET_CRD], log_source=pod_logs, bookmark_interval=0.1)
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def http(sandbox: SandboxAPI) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(sandbox.url) as session:
        yield session


@pytest.fixture
def kubeconfig(sandbox: SandboxAPI, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", sandbox.url)
