"""The controller against an in-memory API: the whole run, restarts at the worst moment, missing references."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from modelyard.adapters.kube import EVENTS, JOBS, MODELVERSIONS, PODS, SECRETS, SERVICES, TRAININGJOBS
from modelyard.api.trainingjob import TrainingJob
from modelyard.controller.execute import execute
from modelyard.controller.trainingjob import calculate_decision, reconcile_trainingjob, should_skip

from .builders import NOW, job_status, pod, report, tj_body
from .fake_kube import FakeKube, merge


async def look(kube: FakeKube, body: dict[str, Any], minutes: int = 0) -> dict[str, Any]:
    """One reconcile, its status patch written back into ``body``; returns the patch."""
    patch = await reconcile_trainingjob(kube, body, NOW + timedelta(minutes=minutes))
    merge(body.setdefault("status", {}), patch)
    return patch


def finish_job(kube: FakeKube, name: str = "iris-train", message: str | None = None, workers: int = 1) -> None:
    job = kube.objects[("jobs", "ml", name)]
    job["status"] = job_status(succeeded=workers, complete=True)
    for i in range(workers):
        p = pod(f"{name}-{i}", "Succeeded", index=str(i), message=message if i == 0 else "{}")
        p["metadata"]["labels"] = {"modelyard.io/trainingjob": name}
        kube.put(PODS, "ml", p)


async def test_single_pod_run_from_apply_to_registered_model() -> None:
    kube, body = FakeKube(), tj_body(output={"uri": "s3://models/iris"})
    await look(kube, body)
    assert body["status"]["phase"] == "Pending" and len(kube.of(JOBS)) == 1 and not kube.of(SERVICES)
    finish_job(kube, message=report())
    await look(kube, body, minutes=1)
    assert body["status"]["phase"] == "Succeeded"
    assert body["status"]["modelVersion"] == "iris-iris-train"
    [mv] = kube.of(MODELVERSIONS)
    assert mv["spec"]["artifact"]["digest"].startswith("sha256:")
    assert {e["reason"] for e in kube.of(EVENTS)} == {"JobCreated", "ModelRegistered"}
    assert await look(kube, body, minutes=2) == {}
    assert should_skip(body, NOW + timedelta(minutes=3))


async def test_distributed_run_creates_indexed_job_and_headless_service() -> None:
    kube, body = FakeKube(), tj_body(workers=3)
    await look(kube, body)
    [job], [svc] = kube.of(JOBS), kube.of(SERVICES)
    assert job["spec"]["completionMode"] == "Indexed" and svc["spec"]["clusterIP"] == "None"


async def test_restart_between_creating_the_model_version_and_writing_status_creates_it_once() -> None:
    kube, body = FakeKube(), tj_body()
    await look(kube, body)
    finish_job(kube, message=report())
    tj = TrainingJob.model_validate(body)
    decision = await calculate_decision(kube, tj, NOW)
    await execute(kube, body, decision.actions, NOW)  # the ModelVersion exists; the operator dies here
    assert len(kube.of(MODELVERSIONS)) == 1
    await look(kube, body, minutes=1)  # a fresh operator, from the status as it was stored
    assert len(kube.of(MODELVERSIONS)) == 1
    assert body["status"]["modelVersion"] == "iris-iris-train"
    assert body["status"]["conditions"][0]["status"] == "True"


async def test_restart_between_creating_the_job_and_writing_status_creates_no_second_job() -> None:
    kube, body = FakeKube(), tj_body()
    decision = await calculate_decision(kube, TrainingJob.model_validate(body), NOW)
    await execute(kube, body, decision.actions, NOW)  # dies before the status write
    await look(kube, body, minutes=1)
    assert len(kube.of(JOBS)) == 1 and body["status"]["phase"] == "Pending"


async def test_missing_secret_is_a_condition_then_the_run_starts_once_it_exists() -> None:
    env = [{"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "k"}}}]
    kube, body = FakeKube(), tj_body(env=env)
    await look(kube, body)
    ready = body["status"]["conditions"][0]
    assert (ready["reason"], kube.of(JOBS)) == ("MissingReference", [])
    assert "spec.env[0].valueFrom.secretKeyRef.name: Secret 's3' not found" in ready["message"]
    kube.put(SECRETS, "ml", {"metadata": {"name": "s3"}})
    await look(kube, body, minutes=1)
    assert len(kube.of(JOBS)) == 1


async def test_malformed_report_leaves_it_succeeded_but_unregistered() -> None:
    kube, body = FakeKube(), tj_body()
    await look(kube, body)
    finish_job(kube, message="not json")
    await look(kube, body, minutes=1)
    conds = {c["type"]: c for c in body["status"]["conditions"]}
    assert body["status"]["phase"] == "Succeeded" and conds["Succeeded"]["status"] == "True"
    assert conds["ArtifactRecorded"]["reason"] == "ArtifactReportMalformed"
    assert conds["Stalled"]["status"] == "True" and not kube.of(MODELVERSIONS)


async def test_settled_job_makes_no_api_call_on_resync() -> None:
    kube, body = FakeKube(), tj_body()
    await look(kube, body)
    finish_job(kube, message=report())
    await look(kube, body, minutes=1)
    kube.calls.clear()
    assert should_skip(body, NOW + timedelta(minutes=2)) and kube.calls == []


async def test_ttl_deletes_the_trainingjob_but_never_the_model_version() -> None:
    kube, body = FakeKube(), tj_body(ttlSecondsAfterFinished=60)
    kube.put(TRAININGJOBS, "ml", body)
    await look(kube, body)
    finish_job(kube, message=report())
    await look(kube, body, minutes=1)
    assert not should_skip(body, NOW + timedelta(hours=1))
    await look(kube, body, minutes=120)
    assert not kube.of(TRAININGJOBS) and len(kube.of(MODELVERSIONS)) == 1


async def test_what_the_schema_lets_through_is_stalled_invalid_spec_naming_the_field() -> None:
    kube, body = FakeKube(), tj_body(hyperparameters={"lr": [1, 2]})  # a structural schema can't type a union
    await look(kube, body)
    stalled = {c["type"]: c for c in body["status"]["conditions"]}["Stalled"]
    assert stalled["reason"] == "InvalidSpec" and "spec.hyperparameters.lr" in stalled["message"]
    assert kube.calls == [] and await look(kube, body, minutes=1) == {}
