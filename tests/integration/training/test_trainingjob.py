"""TrainingJob end to end in the sandbox: the real operator, the simulated Job controller and kubelet.

Given a programmed pod outcome, when a TrainingJob is applied, then its status, children and the
registered ModelVersion are what a user would see.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import yaml

from modelyard.adapters.kube import JOBS, MODELVERSIONS, PODS, SECRETS, SERVICES, TRAININGJOBS
from modelyard.sandbox.controllers import Outcome
from tests.integration.conftest import SandboxHandle

NS = "default"
ROOT = Path(__file__).resolve().parents[3]
DIGEST = "sha256:" + "0123456789abcdef" * 4
REPORT = json.dumps({"artifact": {"uri": "s3://models/iris/model.joblib", "digest": DIGEST, "format": "sklearn",
                                  "sizeBytes": 2048}, "metrics": {"accuracy": 0.97}})
LABEL = "modelyard.io/trainingjob"


def trainingjob(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "TrainingJob", "metadata": {"name": name},
            "spec": {"model": "iris", "image": "ghcr.io/modelyard/trainers:0.1.0",
                     "hyperparameters": {"c": 1.0}, "output": {"uri": "s3://models/iris"}, **spec}}


def program(sandbox: SandboxHandle, name: str, outcome: Outcome, times: int | None = None) -> None:
    kwargs = {} if times is None else {"times": times}
    sandbox.behaviours.add(outcome, labels={LABEL: name}, **kwargs)


def conditions(tj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in (tj.get("status") or {}).get("conditions", [])}


async def phase(sandbox: SandboxHandle, name: str, want: str, timeout: float = 15) -> dict[str, Any]:  # noqa: ASYNC109
    async def check() -> dict[str, Any] | None:
        tj = await sandbox.kube.get(TRAININGJOBS, NS, name)
        status = tj.get("status") or {}
        done = want not in ("Succeeded", "Failed") or "Reconciling" not in conditions(tj)
        return tj if status.get("phase") == want and done else None
    return await sandbox.wait_for(check, timeout, message=f"TrainingJob {name} {want}")


async def model_versions(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return await sandbox.kube.list(MODELVERSIONS, NS)


async def test_single_pod_job_succeeds_and_registers_a_model_version(sandbox: SandboxHandle) -> None:
    program(sandbox, "iris-a", Outcome(exit_code=0, message=REPORT))
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("iris-a", version="v1"))
    tj = await phase(sandbox, "iris-a", "Succeeded")
    status, conds = tj["status"], conditions(tj)
    assert (status["modelVersion"], status["headlineMetric"], status["jobName"]) == ("iris-v1", "accuracy=0.97",
                                                                                    "iris-a")
    assert status["artifact"]["digest"] == DIGEST and status["attempts"] == 1
    assert status["observedGeneration"] == 1 and status["startTime"] and status["completionTime"]
    assert (conds["Ready"]["status"], conds["Succeeded"]["status"]) == ("True", "True")
    [mv] = await model_versions(sandbox)
    assert mv["metadata"]["name"] == "iris-v1" and "ownerReferences" not in mv["metadata"]
    assert mv["spec"]["lineage"]["trainingJob"]["uid"] == tj["metadata"]["uid"]
    assert mv["metadata"]["labels"][LABEL] == "iris-a"
    job = await sandbox.kube.get(JOBS, NS, "iris-a")
    assert job["metadata"]["ownerReferences"][0]["uid"] == tj["metadata"]["uid"]


async def test_three_worker_job_is_indexed_with_headless_service_and_rank_env(sandbox: SandboxHandle) -> None:
    program(sandbox, "dist", Outcome(exit_code=0, message=REPORT))
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("dist", workers=3, masterPort=23456))
    tj = await phase(sandbox, "dist", "Succeeded")
    job = await sandbox.kube.get(JOBS, NS, "dist")
    assert (job["spec"]["completionMode"], job["spec"]["completions"], job["spec"]["parallelism"]) == (
        "Indexed", 3, 3)
    svc = await sandbox.kube.get(SERVICES, NS, "dist")
    assert svc["spec"]["clusterIP"] == "None" and svc["spec"]["ports"][0]["port"] == 23456
    pods = await sandbox.kube.list(PODS, NS, labels={LABEL: "dist"})
    index = "batch.kubernetes.io/job-completion-index"
    assert sorted(p["metadata"]["annotations"][index] for p in pods) == ["0", "1", "2"]
    for p in pods:
        env = {e["name"]: e for e in p["spec"]["containers"][0]["env"]}
        assert env["WORLD_SIZE"]["value"] == "3" and env["MASTER_PORT"]["value"] == "23456"
        assert env["MASTER_ADDR"]["value"] == "dist-0.dist"
        assert env["RANK"]["valueFrom"]["fieldRef"]["fieldPath"] == f"metadata.annotations['{index}']"
        rank = p["metadata"]["annotations"][index]
        assert p["spec"]["subdomain"] == "dist" and p["spec"]["hostname"] == f"dist-{rank}"
    assert tj["status"]["modelVersion"] == "iris-dist"


async def test_failing_trainer_is_retried_up_to_backoff_limit_then_failed(sandbox: SandboxHandle) -> None:
    program(sandbox, "flaky", Outcome(exit_code=2, message="CUDA out of memory"))
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("flaky", backoffLimit=2))
    tj = await phase(sandbox, "flaky", "Failed")
    conds = conditions(tj)
    assert (conds["Failed"]["status"], conds["Failed"]["reason"]) == ("True", "BackoffLimitExceeded")
    assert (conds["Stalled"]["reason"], conds["Ready"]["status"]) == ("BackoffLimitExceeded", "False")
    assert tj["status"]["attempts"] == 3 and not await model_versions(sandbox)


async def test_deadline_exceeded_fails_the_run(sandbox: SandboxHandle) -> None:
    program(sandbox, "slow", Outcome(exit_code=None))
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("slow", activeDeadlineSeconds=1))
    tj = await phase(sandbox, "slow", "Failed", timeout=20)
    assert conditions(tj)["Failed"]["reason"] == "DeadlineExceeded"
    assert conditions(tj)["Stalled"]["status"] == "True"


async def test_suspended_then_resumed_job_runs_to_success(sandbox: SandboxHandle) -> None:
    program(sandbox, "later", Outcome(exit_code=0, message=REPORT))
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("later", suspend=True))
    tj = await phase(sandbox, "later", "Suspended")
    assert conditions(tj)["Ready"]["reason"] == "Suspended"
    assert not await sandbox.kube.list(PODS, NS, labels={LABEL: "later"})
    assert (await sandbox.kube.get(JOBS, NS, "later"))["spec"]["suspend"] is True
    await sandbox.kube.patch(TRAININGJOBS, NS, "later", {"spec": {"suspend": False}})
    tj = await phase(sandbox, "later", "Succeeded")
    assert tj["status"]["modelVersion"] == "iris-later" and tj["status"]["observedGeneration"] == 2


async def test_malformed_report_leaves_the_run_succeeded_but_unregistered(sandbox: SandboxHandle) -> None:
    program(sandbox, "garbled", Outcome(exit_code=0, message='{"artifact": {"uri": "ftp://x"'))
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("garbled"))
    tj = await phase(sandbox, "garbled", "Succeeded")
    conds = conditions(tj)
    assert conds["Succeeded"]["status"] == "True"
    assert (conds["ArtifactRecorded"]["status"], conds["ArtifactRecorded"]["reason"]) == (
        "False", "ArtifactReportMalformed")
    assert (conds["Stalled"]["status"], conds["Ready"]["status"]) == ("True", "False")
    assert "modelVersion" not in tj["status"] and not await model_versions(sandbox)


async def test_every_example_is_applied_and_runs(sandbox: SandboxHandle) -> None:
    for path in sorted((ROOT / "examples").glob("trainingjob-*.yaml")):
        doc = yaml.safe_load(path.read_text())
        name, pod = doc["metadata"]["name"], doc["spec"].get("pod", {})
        pod.pop("volumes", None), pod.pop("volumeMounts", None)  # the sandbox has no PersistentVolumeClaims
        program(sandbox, name, Outcome(exit_code=0, message=REPORT))
        await sandbox.kube.create(TRAININGJOBS, NS, doc)
        if "kueue.x-k8s.io/queue-name" in doc["metadata"].get("labels", {}):
            tj = await phase(sandbox, name, "Suspended")
            assert conditions(tj)["Ready"]["reason"] == "WaitingForAdmission"
            await sandbox.kube.patch(JOBS, NS, name, {"spec": {"suspend": False}})  # Kueue admits it
        tj = await phase(sandbox, name, "Succeeded")
        assert tj["status"]["modelVersion"] == f"{doc['spec']['model']}-{doc['spec']['version']}"


async def test_a_settled_run_costs_no_api_call_and_no_write(sandbox: SandboxHandle) -> None:
    program(sandbox, "quiet", Outcome(exit_code=0, message=REPORT))
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("quiet"))
    await phase(sandbox, "quiet", "Succeeded")
    await sandbox.wait_for(lambda: sandbox.requests.count(plural="events", verb="create") >= 2, message="events")
    mark = sandbox.requests.mark()
    await asyncio.sleep(1.0)  # five resync periods of observation: the assertion is that nothing happens
    counts = sandbox.requests.counts(since=mark)  # (ModelVersions have a controller of their own: not counted)
    assert not [k for k in counts if k[1] in ("jobs", "pods", "configmaps", "services", "secrets")]
    assert sandbox.requests.count(since=mark, verb="create", plural="modelversions") == 0
    assert sandbox.requests.count(since=mark, writes_only=True, plural="trainingjobs") == 0


async def test_missing_secret_is_a_condition_and_the_run_starts_once_it_exists(sandbox: SandboxHandle) -> None:
    program(sandbox, "needs-key", Outcome(exit_code=0, message=REPORT))
    env = [{"name": "S3_KEY", "valueFrom": {"secretKeyRef": {"name": "s3-creds", "key": "key"}}}]
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("needs-key", env=env))

    async def waiting() -> dict[str, Any] | None:
        tj = await sandbox.kube.get(TRAININGJOBS, NS, "needs-key")
        return tj if conditions(tj).get("Ready", {}).get("reason") == "MissingReference" else None
    tj = await sandbox.wait_for(waiting, message="MissingReference")
    assert "spec.env[0].valueFrom.secretKeyRef.name: Secret 's3-creds' not found" in conditions(tj)["Ready"]["message"]
    assert conditions(tj)["Reconciling"]["status"] == "True"
    assert await sandbox.kube.get_or_none(JOBS, NS, "needs-key") is None
    await sandbox.kube.create(SECRETS, NS, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s3-creds"},
                                            "stringData": {"key": "k"}})
    await phase(sandbox, "needs-key", "Succeeded")


async def test_changing_the_spec_of_a_running_job_is_refused_not_half_applied(sandbox: SandboxHandle) -> None:
    program(sandbox, "busy", Outcome(exit_code=None))
    await sandbox.kube.create(TRAININGJOBS, NS, trainingjob("busy"))
    await phase(sandbox, "busy", "Running")
    await sandbox.kube.patch(TRAININGJOBS, NS, "busy", {"spec": {"image": "trainer:2", "suspend": True}})

    async def refused() -> dict[str, Any] | None:
        tj = await sandbox.kube.get(TRAININGJOBS, NS, "busy")
        return tj if conditions(tj).get("Stalled", {}).get("reason") == "SpecChangeRejected" else None
    tj = await sandbox.wait_for(refused, message="SpecChangeRejected")
    assert "spec.image" in conditions(tj)["Stalled"]["message"] and tj["status"]["observedGeneration"] == 2
    job = await sandbox.kube.get(JOBS, NS, "busy")
    assert job["spec"]["suspend"] is False  # not even the applicable part of the edit
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/modelyard/trainers:0.1.0"
