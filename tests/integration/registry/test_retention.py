"""Retention: keepLast of the model's newest version retires older versions, never a served one."""

from __future__ import annotations

from modelyard.adapters.kube import INFERENCESERVICES
from tests.integration.conftest import SandboxHandle
from tests.integration.registry.registry_helpers import (
    NS,
    condition,
    create_all,
    inferenceservice,
    modelversion,
    report_isvc_status,
    wait_for_event,
    wait_for_mv,
)


async def test_keeps_the_newest_n_and_skips_the_served_one(sandbox: SandboxHandle) -> None:
    await create_all(sandbox, *(modelversion(f"iris-v{i}", f"v{i}") for i in range(1, 5)))
    await sandbox.kube.create(INFERENCESERVICES, NS, inferenceservice("web", "iris-v2"))
    await report_isvc_status(sandbox, "web", stable="iris-v2")
    await wait_for_mv(sandbox, "iris-v2", phase="Ready", reason="Serving")
    for i in (1, 3, 4):  # no policy yet: nothing retires
        await wait_for_mv(sandbox, f"iris-v{i}", phase="Ready", reason="Registered")

    await create_all(sandbox, modelversion("iris-v5", "v5", keep_last=2))  # the newest version's policy applies

    for i in (1, 3):  # beyond the newest two; v2 is served, so it stays and still counts
        retired = await wait_for_mv(sandbox, f"iris-v{i}", phase="Retired", reason="Retired")
        stalled = condition(retired, "Stalled")
        assert stalled is not None and stalled["status"] == "True" and "artifact is kept" in stalled["message"]
        await wait_for_event(sandbox, f"iris-v{i}", "Retired")
    for i in (4, 5):
        await wait_for_mv(sandbox, f"iris-v{i}", phase="Ready", reason="Registered")
    await wait_for_mv(sandbox, "iris-v2", phase="Ready", reason="Serving")
