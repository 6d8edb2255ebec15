"""No hot loops: once every version has settled, whatever its phase, the operator sends nothing.

The versions are driven into every phase by a real InferenceService (serving, a gate failure), retention
(through the sibling nudge: a settled version is not looked at by the timer) and a duplicate."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from modelyard.adapters.kube import INFERENCESERVICES, MODELVERSIONS
from modelyard.controller import modelversion as controller
from modelyard.handlers.modelversion import RESYNC_SECONDS
from tests.integration.conftest import SandboxHandle
from tests.integration.registry.registry_helpers import (
    NS,
    create_all,
    modelversion,
    pin,
    serving,
    stable_is,
    wait_for_event,
    wait_for_isvc,
    wait_for_mv,
)

WINDOW_TICKS = 8  # resync periods watched for requests
GATE = {"metric": "accuracy", "threshold": {"min": 0.8}}


def quiet_for(sandbox: SandboxHandle, seconds: float) -> bool:
    """No write for ``seconds`` (kopf writes its own bookkeeping just after the last handler ran)."""
    writes = sandbox.requests.select(writes_only=True)
    return not writes or time.monotonic() - writes[-1].at > seconds


async def test_settled_versions_cause_no_requests_nor_decisions(
        sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    decisions: list[str] = []
    decide = controller.calculate_decision

    def counted(body: dict[str, Any], *args: Any) -> Any:
        decisions.append(body["metadata"]["name"])
        return decide(body, *args)
    monkeypatch.setattr(controller, "calculate_decision", counted)  # the operator runs in this process
    await create_all(sandbox, *(modelversion(f"iris-v{i}", f"v{i}") for i in range(1, 4)),
                     modelversion("iris-v4", "v4", metrics={"accuracy": 0.5}))
    await sandbox.kube.create(INFERENCESERVICES, NS, serving("web", "iris-v2", gates=[GATE]))
    await wait_for_isvc(sandbox, "web", "v2 stable", stable_is("iris-v2"))
    await pin(sandbox, "web", "iris-v4")  # refused by the gate: Rejected, served by none
    await wait_for_isvc(sandbox, "web", "v4 rejected", lambda st: "iris-v4" in (st.get("rejected") or []))
    # Same second, same version: the greater name is the duplicate (creation times have 1 s resolution).
    await create_all(sandbox, modelversion("iris-v5", "v5", keep_last=3), modelversion("iris-v5-again", "v5"))
    await sandbox.kube.delete(MODELVERSIONS, NS, "iris-v2")  # held: web serves it
    settled = {"iris-v1": ("Retired", "Retired"), "iris-v2": ("Ready", "Serving"), "iris-v3": ("Ready", "Registered"),
               "iris-v4": ("Rejected", "Rejected"), "iris-v5": ("Ready", "Registered"),
               "iris-v5-again": ("Pending", "DuplicateVersion")}
    for name, (phase, reason) in settled.items():
        await wait_for_mv(sandbox, name, phase=phase, reason=reason)
    await wait_for_event(sandbox, "iris-v2", "DeletionBlocked")
    await sandbox.wait_for(lambda: quiet_for(sandbox, 2 * RESYNC_SECONDS), message="the last reactions written")

    since, decided = sandbox.requests.mark(), len(decisions)
    await asyncio.sleep(WINDOW_TICKS * RESYNC_SECONDS)  # a measurement window: nothing should happen in it
    writes = sandbox.requests.counts(since=since, writes_only=True)
    assert writes == {}, f"writes while settled: {writes}"
    reads = {k: n for k, n in sandbox.requests.counts(since=since).items() if k[1] == "modelversions"}
    assert reads == {}, f"ModelVersion requests while settled: {reads}"
    assert decisions[decided:] == [], "a settled version is not even decided again on a timer tick"
