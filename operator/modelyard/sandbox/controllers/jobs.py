"""The Job controller's decisions (pure): which pods to create or delete, and the Job's status.

batch/v1 semantics kept: ``completions``, ``parallelism``, ``completionMode: Indexed`` (index label,
annotation, ``JOB_COMPLETION_INDEX``, hostname ``<job>-<index>``), ``backoffLimit`` (Failed,
BackoffLimitExceeded), ``activeDeadlineSeconds`` (Failed, DeadlineExceeded), ``suspend`` (active pods
deleted, Suspended condition), ``ttlSecondsAfterFinished``. Counters are monotonic and live in the
Job's status, so a restarted controller carries on. Not modelled: pod failure policy, success policy,
``backoffLimitPerIndex``, ``uncountedTerminatedPods``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelyard.sandbox.controllers.common import (
    condition,
    is_active,
    is_ready,
    owner_ref,
    parse_time,
    rfc3339,
    set_conditions,
    true_condition,
)

JsonDict = dict[str, Any]
INDEX_KEY = "batch.kubernetes.io/job-completion-index"
JOB_NAME = "batch.kubernetes.io/job-name"
CONTROLLER_UID = "batch.kubernetes.io/controller-uid"


@dataclass(frozen=True)
class JobPlan:
    """What to do for one Job: create/delete pods, the new status, delete the Job, look again later."""

    create: list[JsonDict] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    status: JsonDict = field(default_factory=dict)
    delete_job: bool = False
    requeue_after: float | None = None


def is_finished(status: Mapping[str, Any]) -> str | None:
    """'Complete' or 'Failed' when that condition is True, else None."""
    for kind in ("Complete", "Failed"):
        if true_condition(status, kind):
            return kind
    return None


def calculate_job(job: Mapping[str, Any], pods: Sequence[Mapping[str, Any]], now: datetime) -> JobPlan:
    """The plan for ``job`` given the pods it owns (any state), at ``now``."""
    status = copy.deepcopy(job.get("status") or {})
    active = [p for p in pods if is_active(p)]
    finished = is_finished(status)
    if finished:
        return _finished_plan(job, status, active, now, finished)
    _count(job, status, pods, active)
    spec = job.get("spec", {})
    if spec.get("suspend"):
        return _suspended_plan(status, active, now)
    status.setdefault("startTime", rfc3339(now))
    set_conditions(status, condition("Suspended", "False", "JobResumed", "Job resumed", now), only_if_present=True)
    failure = _failure(spec, status, now)
    if failure is not None:
        return _fail(status, active, now, *failure)
    if _complete(spec, status):
        return _complete_plan(status, active, now)
    return JobPlan(create=_new_pods(job, pods, active, status), status=status,
                   requeue_after=_deadline_left(spec, status, now))


def _count(job: Mapping[str, Any], status: JsonDict, pods: Sequence[Mapping[str, Any]],
           active: Sequence[Mapping[str, Any]]) -> None:
    succeeded = [p for p in pods if p.get("status", {}).get("phase") == "Succeeded"]
    failed = sum(1 for p in pods if p.get("status", {}).get("phase") == "Failed")
    status["active"] = len(active)
    status["ready"] = sum(1 for p in active if is_ready(p))
    status["failed"] = max(status.get("failed", 0), failed)
    if _indexed(job):
        done = sorted(_succeeded_indexes(status) | {i for i in map(_index, succeeded) if i is not None})
        status["completedIndexes"] = format_indexes(done)
        status["succeeded"] = len(done)
    else:
        status["succeeded"] = max(status.get("succeeded", 0), len(succeeded))
    for key in ("failed", "succeeded"):
        if not status[key]:
            status.pop(key)


def _failure(spec: Mapping[str, Any], status: Mapping[str, Any], now: datetime) -> tuple[str, str] | None:
    limit = spec.get("backoffLimit", 6)
    if status.get("failed", 0) > limit:
        return "BackoffLimitExceeded", "Job has reached the specified backoff limit"
    left = _deadline_left(spec, status, now)
    if left is not None and left <= 0:
        return "DeadlineExceeded", "Job was active longer than specified deadline"
    return None


def _deadline_left(spec: Mapping[str, Any], status: Mapping[str, Any], now: datetime) -> float | None:
    deadline = spec.get("activeDeadlineSeconds")
    start = parse_time(status.get("startTime"))
    if deadline is None or start is None:
        return None
    return float(deadline) - (now - start).total_seconds()


def _complete(spec: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
    completions = spec.get("completions")
    succeeded = status.get("succeeded", 0)
    if completions is None:  # "work queue" Jobs: done once one pod succeeded and none is left running
        return bool(succeeded > 0 and status.get("active", 0) == 0)
    return bool(succeeded >= completions)


def _fail(status: JsonDict, active: Sequence[Mapping[str, Any]], now: datetime, reason: str, message: str) -> JobPlan:
    set_conditions(status, condition("FailureTarget", "True", reason, message, now),
                   condition("Failed", "True", reason, message, now))
    status["active"], status["ready"] = 0, 0
    return JobPlan(delete=_names(active), status=status, requeue_after=0.0)


def _complete_plan(status: JsonDict, active: Sequence[Mapping[str, Any]], now: datetime) -> JobPlan:
    message = "Reached expected number of succeeded pods"
    set_conditions(status, condition("SuccessCriteriaMet", "True", "CompletionsReached", message, now),
                   condition("Complete", "True", "CompletionsReached", message, now))
    status["completionTime"] = rfc3339(now)
    status["active"], status["ready"] = 0, 0
    return JobPlan(delete=_names(active), status=status, requeue_after=0.0)


def _suspended_plan(status: JsonDict, active: Sequence[Mapping[str, Any]], now: datetime) -> JobPlan:
    set_conditions(status, condition("Suspended", "True", "JobSuspended", "Job suspended", now))
    status.pop("startTime", None)  # the deadline counts again from the resume
    status["active"], status["ready"] = 0, 0
    return JobPlan(delete=_names(active), status=status)


def _finished_plan(job: Mapping[str, Any], status: JsonDict, active: Sequence[Mapping[str, Any]], now: datetime,
                   finished: str) -> JobPlan:
    ttl = job.get("spec", {}).get("ttlSecondsAfterFinished")
    if ttl is None:
        return JobPlan(delete=_names(active), status=status)
    cond = true_condition(status, finished) or {}
    end = parse_time(status.get("completionTime") or cond.get("lastTransitionTime")) or now
    left = float(ttl) - (now - end).total_seconds()
    if left <= 0:
        return JobPlan(status=status, delete_job=True)
    return JobPlan(delete=_names(active), status=status, requeue_after=left)


def _new_pods(job: Mapping[str, Any], pods: Sequence[Mapping[str, Any]], active: Sequence[Mapping[str, Any]],
              status: Mapping[str, Any]) -> list[JsonDict]:
    spec = job.get("spec", {})
    parallelism = spec.get("parallelism", 1)
    completions = spec.get("completions")
    if _indexed(job):
        busy = _succeeded_indexes(status) | {_index(p) for p in active}
        todo = [i for i in range(completions or 0) if i not in busy]
        taken = {p["metadata"]["name"] for p in pods}
        return [build_pod(job, i, _free_attempt(job, i, taken)) for i in todo[: max(parallelism - len(active), 0)]]
    succeeded = status.get("succeeded", 0)
    remaining = (0 if succeeded else parallelism) if completions is None else completions - succeeded
    wanted = max(min(parallelism, remaining) - len(active), 0)
    taken = {p["metadata"]["name"] for p in pods}
    names = (n for n in (f"{job['metadata']['name']}-{k}" for k in range(len(pods) + wanted + 1)) if n not in taken)
    return [build_pod(job, None, 0, next(names)) for _ in range(wanted)]


def build_pod(job: Mapping[str, Any], index: int | None, attempt: int, name: str | None = None) -> JsonDict:
    """A pod from the Job's template, with the Job's labels, index and owner reference."""
    md, tmpl = job["metadata"], copy.deepcopy(job.get("spec", {}).get("template", {}))
    labels = {**tmpl.get("metadata", {}).get("labels", {}), JOB_NAME: md["name"], "job-name": md["name"],
              CONTROLLER_UID: md.get("uid", ""), "controller-uid": md.get("uid", "")}
    annotations = dict(tmpl.get("metadata", {}).get("annotations", {}))
    pod_spec: JsonDict = tmpl.get("spec", {})
    if index is not None:
        labels[INDEX_KEY] = annotations[INDEX_KEY] = str(index)
        pod_spec["hostname"] = f"{md['name']}-{index}"
        for c in pod_spec.get("containers", []):
            c["env"] = [*c.get("env", []), {"name": "JOB_COMPLETION_INDEX", "value": str(index)}]
        name = name or f"{md['name']}-{index}-{attempt}"
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": md.get("namespace"), "labels": labels, "annotations": annotations,
                         "ownerReferences": [owner_ref(job, "batch/v1", "Job")]},
            "spec": pod_spec}


def format_indexes(indexes: Sequence[int]) -> str:
    """Compressed interval notation of ``completedIndexes``.

    >>> format_indexes([0, 1, 2, 4, 6, 7])
    '0-2,4,6-7'
    """
    parts: list[str] = []
    for i in sorted(indexes):
        if parts and parts[-1].split("-")[-1] == str(i - 1):
            parts[-1] = f"{parts[-1].split('-')[0]}-{i}"
        else:
            parts.append(str(i))
    return ",".join(parts)


def parse_indexes(text: str) -> set[int]:
    out: set[int] = set()
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def _succeeded_indexes(status: Mapping[str, Any]) -> set[int]:
    return parse_indexes(status.get("completedIndexes", ""))


def _indexed(job: Mapping[str, Any]) -> bool:
    return bool(job.get("spec", {}).get("completionMode") == "Indexed")


def _index(pod: Mapping[str, Any]) -> int | None:
    raw = (pod.get("metadata", {}).get("annotations") or {}).get(INDEX_KEY)
    return int(raw) if raw is not None and str(raw).isdigit() else None


def _free_attempt(job: Mapping[str, Any], index: int, taken: set[str]) -> int:
    """The first attempt number whose pod name ``<job>-<index>-<attempt>`` is not taken."""
    attempt = 0
    while f"{job['metadata']['name']}-{index}-{attempt}" in taken:
        attempt += 1
    return attempt


def _names(pods: Sequence[Mapping[str, Any]]) -> list[str]:
    return [p["metadata"]["name"] for p in pods]
