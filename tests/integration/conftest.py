"""Shared fixtures of the integration tests: a sandbox cluster (API server, simulated controllers, the
operator) in the test's event loop.

    async def test_something(sandbox: SandboxHandle) -> None:
        await sandbox.kube.create(TRAININGJOBS, "default", body)
        job = await sandbox.wait_for(lambda: sandbox.kube.get_or_none(JOBS, "default", "x"), timeout=10)

``sandbox`` runs the operator; ``sandbox_cluster`` does not (API + controllers only). Both are
function-scoped: every test gets a fresh cluster (start-up takes well under a second without the
operator, about a second with it). Knobs: ``sandbox.behaviours`` (what pods do),
``sandbox.faults`` (API errors, delays, dropped watches), ``sandbox.requests`` (the request log).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

# Read once when modelyard.handlers is imported: set before anything imports it.
os.environ.setdefault("MODELYARD_RESYNC_SECONDS", "0.2")

import pytest

from modelyard.adapters.kube import KubeClient
from modelyard.sandbox.controllers import PodBehaviours, Timing
from modelyard.sandbox.faults import Faults, RequestLog
from modelyard.sandbox.runtime.cluster import SandboxCluster

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


@dataclass
class SandboxHandle:
    """What a test needs of a running sandbox cluster."""

    cluster: SandboxCluster
    url: str
    kube: KubeClient
    kubeconfig: Path
    faults: Faults
    behaviours: PodBehaviours
    requests: RequestLog

    async def wait_for(self, predicate: Callable[[], Awaitable[T] | T], timeout: float = 10.0,  # noqa: ASYNC109
                       interval: float = 0.05, message: str = "") -> T:
        """Poll ``predicate`` (sync or async) until it returns something truthy, and return that.

        Fails with the last value seen when ``timeout`` passes; API errors count as "not yet".
        """
        deadline, last = time.monotonic() + timeout, None
        while True:
            try:
                value = predicate()
                last = await value if inspect.isawaitable(value) else value
            except Exception as e:  # not there yet (404, a race): keep polling until the deadline
                last = e
            if last and not isinstance(last, Exception):
                return last  # type: ignore[return-value]
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}: last {last!r}")
            await asyncio.sleep(interval)


async def _start(operator: bool, **kwargs: Any) -> SandboxCluster:
    cluster = SandboxCluster(crds=ROOT / "crds", operator=operator, timing=Timing(), resync=1.0, **kwargs)
    await cluster.start()
    return cluster


def _handle(cluster: SandboxCluster) -> SandboxHandle:
    assert cluster.kube is not None
    return SandboxHandle(cluster=cluster, url=cluster.url, kube=cluster.kube, kubeconfig=cluster.kubeconfig,
                         faults=cluster.faults, behaviours=cluster.behaviours, requests=cluster.api.requests)


@pytest.fixture
async def sandbox_cluster() -> AsyncIterator[SandboxHandle]:
    """API server + simulated controllers, no operator."""
    cluster = await _start(operator=False)
    try:
        yield _handle(cluster)
    finally:
        await cluster.stop()


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxHandle]:
    """API server + simulated controllers + the Modelyard operator (resync 0.2s)."""
    cluster = await _start(operator=True)
    try:
        yield _handle(cluster)
    finally:
        await cluster.stop()


@pytest.fixture
async def sandbox_local() -> AsyncIterator[SandboxHandle]:
    """Like ``sandbox``, with the local pod runtime: pods the sandbox can run run as real processes."""
    cluster = await _start(operator=True, local_runtime=True)
    try:
        yield _handle(cluster)
    finally:
        await cluster.stop()
