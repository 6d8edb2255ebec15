"""Job -> Pods in the sandbox: completion, indexes, backoff, deadline, suspend, TTL, termination messages."""

from __future__ import annotations

from typing import Any

import pytest

from modelyard.adapters.kube import JOBS, PODS
from modelyard.sandbox.controllers import Outcome
from tests.integration.conftest import SandboxHandle

NS = "default"


def job(name: str, **spec: Any) -> dict[str, Any]:
    template = {"metadata": {"labels": {"app": name}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "trainer:1"}]}}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": template, **spec}}


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    return next((c for c in obj.get("status", {}).get("conditions", [])
                 if c["type"] == type_ and c["status"] == "True"), None)


async def finished(sandbox: SandboxHandle, name: str, type_: str, timeout: float = 10) -> dict[str, Any]:  # noqa: ASYNC109
    async def check() -> dict[str, Any] | None:
        j = await sandbox.kube.get(JOBS, NS, name)
        return j if condition(j, type_) else None
    return await sandbox.wait_for(check, timeout, message=f"job {name} {type_}")


async def test_indexed_job_completes_with_index_labels_and_hostnames(sandbox_cluster: SandboxHandle) -> None:
    await sandbox_cluster.kube.create(JOBS, NS, job("idx", completions=3, parallelism=2, completionMode="Indexed"))
    done = await finished(sandbox_cluster, "idx", "Complete")
    assert done["status"]["succeeded"] == 3 and done["status"]["completedIndexes"] == "0-2"
    assert condition(done, "SuccessCriteriaMet") and done["status"]["completionTime"]
    pods = await sandbox_cluster.kube.list(PODS, NS, labels={"batch.kubernetes.io/job-name": "idx"})
    assert sorted(p["spec"]["hostname"] for p in pods) == ["idx-0", "idx-1", "idx-2"]
    indexes = sorted(p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in pods)
    assert indexes == ["0", "1", "2"]


async def test_backoff_limit_fails_the_job(sandbox_cluster: SandboxHandle) -> None:
    sandbox_cluster.behaviours.add(Outcome(exit_code=3, message="bad data"), labels={"app": "bad"})
    await sandbox_cluster.kube.create(JOBS, NS, job("bad", backoffLimit=1))
    failed = await finished(sandbox_cluster, "bad", "Failed")
    assert condition(failed, "Failed")["reason"] == "BackoffLimitExceeded"  # type: ignore[index]
    assert failed["status"]["failed"] == 2 and not failed["status"].get("active")
    pod = (await sandbox_cluster.kube.list(PODS, NS, labels={"job-name": "bad"}))[0]
    term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"], term["message"]) == (3, "Error", "bad data")


async def test_retry_after_a_failure_then_succeeds(sandbox_cluster: SandboxHandle) -> None:
    sandbox_cluster.behaviours.add(Outcome(exit_code=0, message='{"metrics": {"acc": 0.9}}'), labels={"app": "flaky"})
    sandbox_cluster.behaviours.add(Outcome(exit_code=1), labels={"app": "flaky"}, times=1)  # newest wins, once
    await sandbox_cluster.kube.create(JOBS, NS, job("flaky", backoffLimit=2))
    done = await finished(sandbox_cluster, "flaky", "Complete")
    assert (done["status"]["failed"], done["status"]["succeeded"]) == (1, 1)


async def test_active_deadline_fails_and_deletes_running_pods(sandbox_cluster: SandboxHandle) -> None:
    sandbox_cluster.behaviours.add(Outcome(exit_code=None), labels={"app": "slow"})
    await sandbox_cluster.kube.create(JOBS, NS, job("slow", activeDeadlineSeconds=1))
    failed = await finished(sandbox_cluster, "slow", "Failed", timeout=15)
    assert condition(failed, "Failed")["reason"] == "DeadlineExceeded"  # type: ignore[index]
    await sandbox_cluster.wait_for(lambda: _no_pods(sandbox_cluster, "slow"), message="pods deleted")


async def test_suspended_job_runs_no_pods_until_resumed(sandbox_cluster: SandboxHandle) -> None:
    await sandbox_cluster.kube.create(JOBS, NS, job("later", suspend=True))
    await finished(sandbox_cluster, "later", "Suspended")
    assert await _no_pods(sandbox_cluster, "later")
    await sandbox_cluster.kube.patch(JOBS, NS, "later", {"spec": {"suspend": False}})
    done = await finished(sandbox_cluster, "later", "Complete")
    assert not condition(done, "Suspended")


async def test_ttl_after_finished_deletes_job_and_pods(sandbox_cluster: SandboxHandle) -> None:
    await sandbox_cluster.kube.create(JOBS, NS, job("brief", ttlSecondsAfterFinished=0))
    await sandbox_cluster.wait_for(lambda: _gone(sandbox_cluster, "brief"), message="job deleted after TTL")
    await sandbox_cluster.wait_for(lambda: _no_pods(sandbox_cluster, "brief"), message="pods collected")


@pytest.mark.parametrize("policy", ["OnFailure", "Never"])
async def test_pending_pod_reports_waiting_reason(sandbox_cluster: SandboxHandle, policy: str) -> None:
    sandbox_cluster.behaviours.add(Outcome(pending_reason="ErrImagePull", pending_message="no such image"),
                                   image="ghcr.io/nope/*")
    body = job("stuck")
    body["spec"]["template"]["spec"].update(restartPolicy=policy,
                                            containers=[{"name": "main", "image": "ghcr.io/nope/x:1"}])
    await sandbox_cluster.kube.create(JOBS, NS, body)

    async def waiting() -> str | None:
        pods = await sandbox_cluster.kube.list(PODS, NS, labels={"job-name": "stuck"})
        states = [c["state"].get("waiting", {}).get("reason") for p in pods
                  for c in p.get("status", {}).get("containerStatuses", [])]
        return next((s for s in states if s and s != "ContainerCreating"), None)
    assert await sandbox_cluster.wait_for(waiting) == "ErrImagePull"


async def _no_pods(sandbox: SandboxHandle, name: str) -> bool:
    return not await sandbox.kube.list(PODS, NS, labels={"job-name": name})


async def _gone(sandbox: SandboxHandle, name: str) -> bool:
    return await sandbox.kube.get_or_none(JOBS, NS, name) is None
