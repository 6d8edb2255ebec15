"""Protection: a served version waits for its InferenceService before it goes; servedBy follows the
InferenceServices (the test writes their status, standing in for the rollout controller)."""

from __future__ import annotations

from modelyard.adapters.kube import INFERENCESERVICES, MODELVERSIONS
from tests.integration.conftest import SandboxHandle
from tests.integration.registry.registry_helpers import (
    NS,
    Body,
    condition,
    create_all,
    inferenceservice,
    modelversion,
    report_isvc_status,
    wait_for_event,
    wait_for_mv,
    wait_for_status,
    wait_gone,
)


async def given_isvc(sandbox: SandboxHandle, name: str, model_version: str) -> Body:
    """An InferenceService with the first status the operator writes (so our status writes come after)."""
    await sandbox.kube.create(INFERENCESERVICES, NS, inferenceservice(name, model_version))

    async def first_status() -> Body | None:
        isvc = await sandbox.kube.get(INFERENCESERVICES, NS, name)
        return isvc if isvc.get("status", {}).get("observedGeneration") else None
    return await sandbox.wait_for(first_status, message=f"first status of {name}")


async def test_deleting_a_served_version_waits_until_the_service_moves_on(sandbox: SandboxHandle) -> None:
    await create_all(sandbox, modelversion("iris-v1", "v1"), modelversion("iris-v2", "v2"))
    await given_isvc(sandbox, "web", "iris-v1")
    await report_isvc_status(sandbox, "web", stable="iris-v1")
    served = await wait_for_mv(sandbox, "iris-v1", phase="Ready", reason="Serving")
    assert served["status"]["servedBy"] == [{"inferenceService": "web", "role": "stable"}]
    assert (served["status"]["servedBySummary"], served["status"]["heldBy"]) == ("web (stable)", ["web"])

    await sandbox.kube.delete(MODELVERSIONS, NS, "iris-v1")

    async def blocked() -> Body | None:
        mv = await sandbox.kube.get(MODELVERSIONS, NS, "iris-v1")
        return mv if (condition(mv, "DeletionBlocked") or {}).get("status") == "True" else None
    held = await sandbox.wait_for(blocked, message="DeletionBlocked on iris-v1")
    why = condition(held, "DeletionBlocked")
    assert held["metadata"]["deletionTimestamp"] and why is not None and why["reason"] == "InUse"
    assert "web" in why["message"] and held["status"]["message"] == why["message"]
    await wait_for_event(sandbox, "iris-v1", "DeletionBlocked")
    isvc = await sandbox.kube.get(INFERENCESERVICES, NS, "web")  # the InferenceService handler left our status
    assert isvc["status"]["stable"] == {"modelVersion": "iris-v1"} and isvc["status"]["observedGeneration"] == 1

    await report_isvc_status(sandbox, "web", stable="iris-v2")  # the service moves on
    await wait_gone(sandbox, "iris-v1")
    await wait_for_event(sandbox, "iris-v1", "DeletionReleased")
    now_served = await wait_for_mv(sandbox, "iris-v2", phase="Ready", reason="Serving")
    assert now_served["status"]["servedBy"] == [{"inferenceService": "web", "role": "stable"}]


async def test_a_deleted_service_no_longer_serves_nor_holds(sandbox: SandboxHandle) -> None:
    await create_all(sandbox, modelversion("iris-v1", "v1"), modelversion("iris-v2", "v2"))
    await given_isvc(sandbox, "web", "iris-v1")
    await report_isvc_status(sandbox, "web", stable="iris-v1", canary="iris-v2")
    canary = await wait_for_mv(sandbox, "iris-v2", phase="Ready", reason="Serving")
    assert canary["status"]["servedBy"] == [{"inferenceService": "web", "role": "canary"}]
    assert canary["status"]["servedBySummary"] == "web (canary)"
    await wait_for_event(sandbox, "iris-v2", "Serving")

    await sandbox.kube.delete(INFERENCESERVICES, NS, "web")
    for name in ("iris-v1", "iris-v2"):
        mv = await wait_for_mv(sandbox, name, phase="Ready", reason="Registered")
        assert not mv["status"].get("servedBy") and not mv["status"].get("heldBy")
        assert "servedBySummary" not in mv["status"]
    await sandbox.kube.delete(MODELVERSIONS, NS, "iris-v1")
    await wait_gone(sandbox, "iris-v1")  # nothing holds it any more: deleted at once


async def test_an_unserved_version_is_deleted_at_once(sandbox: SandboxHandle) -> None:
    await create_all(sandbox, modelversion("iris-v1", "v1"))
    await given_isvc(sandbox, "web", "iris-v2")  # serves another version of the model
    await report_isvc_status(sandbox, "web", stable="iris-v2")
    await wait_for_status(sandbox, "iris-v1", "phase", "Ready")
    await sandbox.kube.delete(MODELVERSIONS, NS, "iris-v1")
    await wait_gone(sandbox, "iris-v1", timeout=3)
