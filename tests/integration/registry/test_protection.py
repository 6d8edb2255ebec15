"""Protection against real InferenceServices: a served version, or the old stable a promotion just
replaced (the rollback target while it retires), waits for its InferenceService before it goes."""

from __future__ import annotations

from modelyard.adapters.kube import INFERENCESERVICES, MODELVERSIONS
from tests.integration.conftest import SandboxHandle
from tests.integration.registry.registry_helpers import (
    NS,
    Body,
    condition,
    create_all,
    modelversion,
    pin,
    serving,
    stable_is,
    wait_for_event,
    wait_for_isvc,
    wait_for_mv,
    wait_for_status,
    wait_gone,
)


async def given_serving(sandbox: SandboxHandle, model_version: str, **kw: str) -> None:
    """InferenceService ``web`` serving ``model_version`` as its stable."""
    await sandbox.kube.create(INFERENCESERVICES, NS, serving("web", model_version, **kw))
    await wait_for_isvc(sandbox, "web", f"{model_version} stable", stable_is(model_version))


async def when_deleted_then_held(sandbox: SandboxHandle, name: str) -> Body:
    """Delete ``name``; it stays, DeletionBlocked/InUse naming ``web``, with a DeletionBlocked Event."""
    await sandbox.kube.delete(MODELVERSIONS, NS, name)

    async def blocked() -> Body | None:
        mv = await sandbox.kube.get(MODELVERSIONS, NS, name)
        return mv if (condition(mv, "DeletionBlocked") or {}).get("status") == "True" else None
    held = await sandbox.wait_for(blocked, message=f"DeletionBlocked on {name}")
    why = condition(held, "DeletionBlocked")
    assert held["metadata"]["deletionTimestamp"] and why is not None and why["reason"] == "InUse"
    assert "web" in why["message"] and held["status"]["message"] == why["message"]
    await wait_for_event(sandbox, name, "DeletionBlocked")
    return held


def retiring(status: Body) -> list[str]:
    return [r["modelVersion"] for r in status.get("retiring") or []]


async def test_deleting_a_served_version_waits_until_the_service_moves_on(sandbox: SandboxHandle) -> None:
    await create_all(sandbox, modelversion("iris-v1", "v1"), modelversion("iris-v2", "v2"))
    await given_serving(sandbox, "iris-v1")
    served = await wait_for_mv(sandbox, "iris-v1", phase="Ready", reason="Serving")
    assert served["status"]["servedBy"] == [{"inferenceService": "web", "role": "stable"}]
    assert (served["status"]["servedBySummary"], served["status"]["heldBy"]) == ("web (stable)", ["web"])

    await when_deleted_then_held(sandbox, "iris-v1")
    await pin(sandbox, "web", "iris-v2")  # the service moves on: canary, promoted, old stable retired
    await wait_gone(sandbox, "iris-v1", timeout=15)
    await wait_for_event(sandbox, "iris-v1", "DeletionReleased")
    now_served = await wait_for_mv(sandbox, "iris-v2", phase="Ready", reason="Serving")
    assert now_served["status"]["servedBy"] == [{"inferenceService": "web", "role": "stable"}]


async def test_the_version_a_promotion_replaced_is_held_while_it_is_the_rollback_target(
        sandbox: SandboxHandle) -> None:
    await create_all(sandbox, modelversion("iris-v1", "v1"), modelversion("iris-v2", "v2"))
    await given_serving(sandbox, "iris-v1", scale_down_delay="4s")
    await pin(sandbox, "web", "iris-v2")
    await wait_for_isvc(sandbox, "web", "v2 promoted, v1 retiring",
                        lambda st: stable_is("iris-v2")(st) and "iris-v1" in retiring(st))
    # The rollback target: held, no longer served (the nudge of the promotion may land after the test saw it).
    target = await wait_for_status(sandbox, "iris-v1", "servedBySummary", None)
    assert target["status"]["heldBy"] == ["web"] and target["status"]["phase"] == "Ready"

    await when_deleted_then_held(sandbox, "iris-v1")
    in_window = retiring((await sandbox.kube.get(INFERENCESERVICES, NS, "web"))["status"])
    assert "iris-v1" in in_window  # held by the rollback window, not released early
    await wait_gone(sandbox, "iris-v1", timeout=15)
    assert "iris-v1" not in retiring((await sandbox.kube.get(INFERENCESERVICES, NS, "web"))["status"])
    await wait_for_event(sandbox, "iris-v1", "DeletionReleased")


async def test_a_deleted_service_no_longer_serves_nor_holds(sandbox: SandboxHandle) -> None:
    await create_all(sandbox, modelversion("iris-v1", "v1"))
    await given_serving(sandbox, "iris-v1")
    await wait_for_mv(sandbox, "iris-v1", phase="Ready", reason="Serving")
    await wait_for_event(sandbox, "iris-v1", "Serving")

    await sandbox.kube.delete(INFERENCESERVICES, NS, "web")
    mv = await wait_for_mv(sandbox, "iris-v1", phase="Ready", reason="Registered")
    assert not mv["status"].get("servedBy") and not mv["status"].get("heldBy")
    assert "servedBySummary" not in mv["status"]
    await sandbox.kube.delete(MODELVERSIONS, NS, "iris-v1")
    await wait_gone(sandbox, "iris-v1")  # nothing holds it any more: deleted at once


async def test_an_unserved_version_is_deleted_at_once(sandbox: SandboxHandle) -> None:
    await create_all(sandbox, modelversion("iris-v1", "v1"), modelversion("iris-v2", "v2"))
    await given_serving(sandbox, "iris-v2")  # serves another version of the model
    await wait_for_status(sandbox, "iris-v1", "phase", "Ready")
    await sandbox.kube.delete(MODELVERSIONS, NS, "iris-v1")
    await wait_gone(sandbox, "iris-v1", timeout=3)
