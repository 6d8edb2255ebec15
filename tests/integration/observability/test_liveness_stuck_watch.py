"""Liveness fails while a watch is stuck (the API holds what the watch never delivers), and recovers after."""

from __future__ import annotations

import asyncio
from pathlib import Path

from modelyard.adapters.kube import MODELVERSIONS
from tests.integration.conftest import SandboxHandle
from tests.integration.observability.helpers import NAMESPACE, OperatorProcess, example

PROBE_CACHE = 10.0  # kopf answers /healthz from probe results up to 10s old
HANG = 40.0  # how long the sandbox holds the operator's ModelVersion watch before answering it


async def test_liveness_fails_while_a_watch_is_stuck_and_recovers(
        sandbox_cluster: SandboxHandle, tmp_path: Path) -> None:
    # The ModelVersion watch hangs after the initial listing: the operator is blind to new ModelVersions.
    faults = sandbox_cluster.faults
    faults.add(verb="watch", plural="modelversions", delay=HANG, times=1)
    proc = OperatorProcess(sandbox_cluster.kubeconfig, tmp_path / "operator.log",
                           env={"MODELYARD_WATCH_STUCK_SECONDS": "2"})
    try:
        await proc.wait_serving()
        await sandbox_cluster.kube.create(MODELVERSIONS, NAMESPACE, example("ModelVersion", "unseen"))
        await asyncio.sleep(PROBE_CACHE)  # let the healthy answer cached at start-up expire
        assert (await proc.fetch(proc.healthz))[0] == 200  # first sight of the lag: within grace
        faults.clear()
        await asyncio.sleep(PROBE_CACHE)
        status, body = await proc.fetch(proc.healthz)
        assert status == 500, body

        async def healthy() -> bool:
            return (await proc.fetch(proc.healthz))[0] == 200

        await sandbox_cluster.wait_for(healthy, timeout=HANG + 2 * PROBE_CACHE, interval=1.0,
                                       message="liveness back once the held watch answers")
    finally:
        proc.stop()

