"""A ModelVersion registered by a TrainingJob follows the same rules as one made by hand: it becomes Ready
under the registry, and deleting the TrainingJob (or its TTL) never deletes the registered model."""

from __future__ import annotations

from typing import Any

from modelyard.adapters.kube import MODELVERSIONS, TRAININGJOBS
from modelyard.sandbox.controllers import Outcome
from tests.integration.conftest import SandboxHandle
from tests.integration.registry.registry_helpers import wait_protected
from tests.integration.training.test_trainingjob import LABEL, NS, REPORT, phase, trainingjob


async def test_version_from_training_is_ready_and_outlives_its_trainingjob(sandbox: SandboxHandle) -> None:
    sandbox.behaviours.add(Outcome(exit_code=0, message=REPORT), labels={LABEL: "run-7"})
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("run-7", version="v7"))
    await phase(sandbox, "run-7", "Succeeded")

    async def ready() -> dict[str, Any] | None:
        mv = await sandbox.kube.get(MODELVERSIONS, NS, "iris-v7")
        return mv if (mv.get("status") or {}).get("phase") == "Ready" else None
    mv = await sandbox.wait_for(ready, timeout=15, message="iris-v7 Ready")
    assert mv["spec"]["lineage"]["trainingJob"]["name"] == "run-7"
    await wait_protected(sandbox, "iris-v7")

    await sandbox.kube.delete(TRAININGJOBS, NS, "run-7")
    await sandbox.wait_for(lambda: _gone(sandbox, "run-7"), timeout=15, message="TrainingJob deleted")
    still = await sandbox.kube.get(MODELVERSIONS, NS, "iris-v7")
    assert still["metadata"].get("deletionTimestamp") is None
    assert still["status"]["phase"] == "Ready"


async def _gone(sandbox: SandboxHandle, name: str) -> bool:
    return await sandbox.kube.get_or_none(TRAININGJOBS, NS, name) is None
