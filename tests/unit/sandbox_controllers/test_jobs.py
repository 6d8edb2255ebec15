"""The Job controller's pure decisions, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelyard.sandbox.controllers.jobs import calculate_job, format_indexes, parse_indexes

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DONE = {"SuccessCriteriaMet": "CompletionsReached", "Complete": "CompletionsReached"}


def job(status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    tmpl = {"metadata": {"labels": {"app": "t"}}, "spec": {"restartPolicy": "Never", "containers": [{"name": "c"}]}}
    return {"metadata": {"name": "j", "namespace": "ns", "uid": "u1"}, "spec": {"template": tmpl, **spec},
            "status": status or {}}


def pod(name: str, phase: str, index: int | None = None) -> dict[str, Any]:
    ann = {} if index is None else {"batch.kubernetes.io/job-completion-index": str(index)}
    return {"metadata": {"name": name, "annotations": ann}, "status": {"phase": phase}}


def types(status: dict[str, Any]) -> dict[str, str]:
    return {c["type"]: c.get("reason", "") for c in status.get("conditions", []) if c["status"] == "True"}


@pytest.mark.parametrize(
    ("spec", "pods", "created", "deleted", "conditions"),
    [
        ({}, [], ["j-0"], [], {}),
        ({"parallelism": 3, "completions": 5}, [pod("j-0", "Succeeded")], ["j-1", "j-2", "j-3"], [], {}),
        ({"completions": 2}, [pod("j-0", "Succeeded"), pod("j-1", "Succeeded")], [], [], DONE),
        ({"backoffLimit": 1}, [pod("j-0", "Failed"), pod("j-1", "Failed")], [], [],
         {"FailureTarget": "BackoffLimitExceeded", "Failed": "BackoffLimitExceeded"}),
        ({"backoffLimit": 1}, [pod("j-0", "Failed")], ["j-1"], [], {}),
        ({"suspend": True}, [pod("j-0", "Running")], [], ["j-0"], {"Suspended": "JobSuspended"}),
        ({"completionMode": "Indexed", "completions": 3, "parallelism": 2}, [pod("j-0-0", "Failed", 0)],
         ["j-0-1", "j-1-0"], [], {}),
        ({"completionMode": "Indexed", "completions": 2, "parallelism": 2},
         [pod("j-0-0", "Succeeded", 0), pod("j-1-0", "Running", 1)], [], [], {}),
        ({"parallelism": 2}, [pod("j-0", "Succeeded"), pod("j-1", "Running")], [], [], {}),
        ({"parallelism": 2}, [pod("j-0", "Succeeded"), pod("j-1", "Succeeded")], [], [], DONE),
    ],
    ids=["first-pod", "parallel-fill", "complete", "backoff-exceeded", "retry-within-backoff", "suspend-deletes",
         "indexed-retries-failed-index", "indexed-waits-for-running", "workqueue-waits", "workqueue-done"],
)
def test_calculate_job(spec: dict[str, Any], pods: list[dict[str, Any]], created: list[str], deleted: list[str],
                       conditions: dict[str, str]) -> None:
    plan = calculate_job(job(**spec), pods, T0)
    assert [p["metadata"]["name"] for p in plan.create] == created
    assert plan.delete == deleted
    assert types(plan.status) == conditions


@pytest.mark.parametrize(
    ("elapsed", "failed", "requeue"),
    [(5, False, 5.0), (10, True, 0.0), (11, True, 0.0)],
    ids=["half-way", "at-deadline", "past-deadline"],
)
def test_active_deadline(elapsed: int, failed: bool, requeue: float) -> None:
    status = {"startTime": "2026-01-01T00:00:00Z"}
    now = T0 + timedelta(seconds=elapsed)
    plan = calculate_job(job(status, activeDeadlineSeconds=10), [pod("j-0", "Running")], now)
    assert ("Failed" in types(plan.status)) is failed
    assert plan.requeue_after == requeue
    assert plan.delete == (["j-0"] if failed else [])


@pytest.mark.parametrize(
    ("after", "delete_job", "requeue"),
    [(0, False, 30.0), (29, False, 1.0), (30, True, None)],
    ids=["just-finished", "almost", "expired"],
)
def test_ttl_after_finished(after: int, delete_job: bool, requeue: float | None) -> None:
    done = {"completionTime": "2026-01-01T00:00:00Z",
            "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
    plan = calculate_job(job(done, ttlSecondsAfterFinished=30), [], T0 + timedelta(seconds=after))
    assert (plan.delete_job, plan.requeue_after) == (delete_job, requeue)


def test_indexed_pod_carries_index_hostname_and_owner() -> None:
    plan = calculate_job(job(completionMode="Indexed", completions=1), [], T0)
    p = plan.create[0]
    assert p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == "0"
    assert p["spec"]["hostname"] == "j-0"
    assert {"name": "JOB_COMPLETION_INDEX", "value": "0"} in p["spec"]["containers"][0]["env"]
    assert p["metadata"]["ownerReferences"][0] == {"apiVersion": "batch/v1", "kind": "Job", "name": "j", "uid": "u1",
                                                   "controller": True, "blockOwnerDeletion": True}


def test_counters_never_go_down_when_pods_vanish() -> None:
    plan = calculate_job(job({"failed": 2, "succeeded": 1}, completions=3), [], T0)
    assert (plan.status["failed"], plan.status["succeeded"]) == (2, 1)


def test_finished_job_is_stable() -> None:
    first = calculate_job(job(completions=1), [pod("j-0", "Succeeded")], T0)
    again = calculate_job(job(first.status, completions=1), [pod("j-0", "Succeeded")], T0 + timedelta(seconds=9))
    assert again.status == first.status and not again.create and not again.delete


@pytest.mark.parametrize(("indexes", "text"), [([], ""), ([3], "3"), ([0, 1, 2, 5, 7, 8], "0-2,5,7-8")],
                         ids=["none", "one", "ranges"])
def test_index_notation_round_trips(indexes: list[int], text: str) -> None:
    assert format_indexes(indexes) == text
    assert parse_indexes(text) == set(indexes)
