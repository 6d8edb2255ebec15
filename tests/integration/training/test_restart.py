"""Kill the operator at the worst moments: the ModelVersion is still created exactly once."""

from __future__ import annotations

from typing import Any

from modelyard.adapters.kube import JOBS, MODELVERSIONS, TRAININGJOBS
from modelyard.api.trainingjob import TrainingJob
from modelyard.controller.common import utcnow
from modelyard.controller.execute import execute
from modelyard.controller.trainingjob import calculate_decision, reconcile_trainingjob
from modelyard.sandbox.controllers import Outcome
from tests.integration.conftest import SandboxHandle

from .test_trainingjob import NS, REPORT, phase, program, trainingjob


async def _job_complete(sandbox: SandboxHandle, name: str) -> dict[str, Any] | None:
    job = await sandbox.kube.get(JOBS, NS, name)
    conds = (job.get("status") or {}).get("conditions", [])
    return job if any(c["type"] == "Complete" and c["status"] == "True" for c in conds) else None


async def _one_pass_with_status(sandbox: SandboxHandle, name: str) -> None:
    body = await sandbox.kube.get(TRAININGJOBS, NS, name)
    patch = await reconcile_trainingjob(sandbox.kube, body, utcnow())
    await sandbox.kube.patch(TRAININGJOBS, NS, name, {"status": patch}, subresource="status")


async def test_operator_down_when_the_job_succeeds_registers_once_after_restart(
    sandbox_cluster: SandboxHandle,
) -> None:
    sandbox = sandbox_cluster
    program(sandbox, "down", Outcome(exit_code=0, message=REPORT))
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("down"))
    await _one_pass_with_status(sandbox, "down")  # the operator's first pass created the Job, then it died
    await sandbox.wait_for(lambda: _job_complete(sandbox, "down"), message="Job Complete")
    assert await sandbox.kube.list(MODELVERSIONS, NS) == []
    await sandbox.cluster._start_operator()  # a fresh operator
    tj = await phase(sandbox, "down", "Succeeded")
    assert tj["status"]["modelVersion"] == "iris-down"
    assert len(await sandbox.kube.list(MODELVERSIONS, NS)) == 1


async def test_operator_killed_after_creating_the_model_version_before_writing_status(
    sandbox_cluster: SandboxHandle,
) -> None:
    sandbox = sandbox_cluster
    program(sandbox, "crash", Outcome(exit_code=0, message=REPORT))
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("crash"))
    await _one_pass_with_status(sandbox, "crash")
    await sandbox.wait_for(lambda: _job_complete(sandbox, "crash"), message="Job Complete")
    body = await sandbox.kube.get(TRAININGJOBS, NS, "crash")
    decision = await calculate_decision(sandbox.kube, TrainingJob.model_validate(
        {k: v for k, v in body.items() if k in ("apiVersion", "kind", "metadata", "spec", "status")}), utcnow())
    await execute(sandbox.kube, body, decision.actions, utcnow())  # ModelVersion created; status never written
    assert len(await sandbox.kube.list(MODELVERSIONS, NS)) == 1
    assert "modelVersion" not in (await sandbox.kube.get(TRAININGJOBS, NS, "crash"))["status"]
    await sandbox.cluster._start_operator()
    tj = await phase(sandbox, "crash", "Succeeded")
    assert tj["status"]["modelVersion"] == "iris-crash"
    [mv] = await sandbox.kube.list(MODELVERSIONS, NS)
    assert mv["spec"]["lineage"]["trainingJob"]["uid"] == tj["metadata"]["uid"]
