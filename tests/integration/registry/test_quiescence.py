"""No hot loops: once every version has settled, the operator writes nothing, whatever the phase."""

from __future__ import annotations

import asyncio
import time

from modelyard.adapters.kube import INFERENCESERVICES, MODELVERSIONS
from modelyard.handlers.modelversion import RESYNC_SECONDS
from tests.integration.conftest import SandboxHandle
from tests.integration.registry.registry_helpers import (
    NS,
    create_all,
    inferenceservice,
    modelversion,
    report_isvc_status,
    wait_for_event,
    wait_for_mv,
)

WINDOW_TICKS = 8  # resync periods watched for writes


def quiet_for(sandbox: SandboxHandle, seconds: float) -> bool:
    """No write for ``seconds`` (kopf writes its own bookkeeping just after the last handler ran)."""
    writes = sandbox.requests.select(writes_only=True)
    return not writes or time.monotonic() - writes[-1].at > seconds


async def test_settled_versions_cause_no_writes(sandbox: SandboxHandle) -> None:
    await create_all(sandbox, *(modelversion(f"iris-v{i}", f"v{i}") for i in range(1, 5)))
    await sandbox.kube.create(INFERENCESERVICES, NS, inferenceservice("web", "iris-v2"))
    await report_isvc_status(sandbox, "web", stable="iris-v2", canary="iris-v3", rejected=["iris-v4"])
    # Same second, same version: the greater name is the duplicate (creation times have 1 s resolution).
    await create_all(sandbox, modelversion("iris-v5", "v5", keep_last=3), modelversion("iris-v5-again", "v5"))
    await wait_for_mv(sandbox, "iris-v2", phase="Ready", reason="Serving")
    await sandbox.kube.delete(MODELVERSIONS, NS, "iris-v2")  # held: web serves it
    settled = {"iris-v1": ("Retired", "Retired"), "iris-v2": ("Ready", "Serving"), "iris-v3": ("Ready", "Serving"),
               "iris-v4": ("Rejected", "Rejected"), "iris-v5": ("Ready", "Registered"),
               "iris-v5-again": ("Pending", "DuplicateVersion")}
    for name, (phase, reason) in settled.items():
        await wait_for_mv(sandbox, name, phase=phase, reason=reason)
    await wait_for_event(sandbox, "iris-v2", "DeletionBlocked")
    await sandbox.wait_for(lambda: quiet_for(sandbox, 2 * RESYNC_SECONDS), message="the last reactions written")

    since = sandbox.requests.mark()
    await asyncio.sleep(WINDOW_TICKS * RESYNC_SECONDS)  # a measurement window: nothing should happen in it
    writes = sandbox.requests.counts(since=since, writes_only=True)
    assert writes == {}, f"writes while settled: {writes}"
