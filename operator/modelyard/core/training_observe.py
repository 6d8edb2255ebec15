"""Reading a batch/v1 Job and its pods into what a TrainingJob decision needs (pure, raw dicts in)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelyard.core.registry import parse_time

FINGERPRINT_ANNOTATION = "modelyard.io/spec-fingerprint"
INDEX_KEY = "batch.kubernetes.io/job-completion-index"
TRAINER = "trainer"
#: Container waiting reasons that will not clear on their own; worth telling the user while Running.
STUCK_REASONS = frozenset({
    "CreateContainerConfigError", "CreateContainerError", "ErrImagePull", "ImagePullBackOff", "InvalidImageName",
    "CrashLoopBackOff", "RunContainerError",
})


@dataclass(frozen=True)
class JobView:
    """What the Job says about the run."""

    suspended: bool = False
    complete: bool = False
    failed_reason: str | None = None
    failed_message: str = ""
    active: int = 0
    ready: int | None = None  # pods Ready among the active ones; None when the Job does not say
    succeeded: int = 0
    failed: int = 0
    start_time: datetime | None = None
    completion_time: datetime | None = None
    fingerprint: Mapping[str, str] | None = None


@dataclass(frozen=True)
class TrainingObserved:
    """Everything observe() read, frozen. ``model_version_owner`` is the TrainingJob uid in the lineage of an
    existing ModelVersion of the target name ('' when it names none); None when there is none."""

    job: JobView | None = None
    rank0_message: str | None = None
    pod_problems: tuple[str, ...] = ()
    missing_references: tuple[str, ...] = ()
    model_version_owner: str | None = None


def assess_job(job: Mapping[str, Any]) -> JobView:
    """The Job's state from its spec, status and conditions.

    >>> assess_job({"status": {"conditions": [{"type": "Failed", "status": "True",
    ...     "reason": "DeadlineExceeded", "message": "too slow"}], "failed": 1}}).failed_reason
    'DeadlineExceeded'
    """
    status = job.get("status") or {}
    conds = {c.get("type"): c for c in status.get("conditions") or [] if c.get("status") == "True"}
    failed = conds.get("Failed")
    completion = status.get("completionTime") or (failed or {}).get("lastTransitionTime")
    return JobView(
        suspended=bool((job.get("spec") or {}).get("suspend")),
        complete="Complete" in conds,
        failed_reason=_camel(failed.get("reason")) if failed else None,
        failed_message=(failed or {}).get("message", ""),
        active=int(status.get("active") or 0),
        ready=int(status["ready"]) if status.get("ready") is not None else None,
        succeeded=int(status.get("succeeded") or 0),
        failed=int(status.get("failed") or 0),
        start_time=parse_time(status["startTime"]) if status.get("startTime") else None,
        completion_time=parse_time(completion) if completion else None,
        fingerprint=_fingerprint((job.get("metadata") or {}).get("annotations") or {}),
    )


def _camel(reason: Any) -> str:
    return reason if isinstance(reason, str) and reason[:1].isalpha() and reason.isalnum() else "JobFailed"


def _fingerprint(annotations: Mapping[str, str]) -> Mapping[str, str] | None:
    try:
        doc = json.loads(annotations.get(FINGERPRINT_ANNOTATION, ""))
    except ValueError:
        return None
    return {str(k): str(v) for k, v in doc.items()} if isinstance(doc, dict) else None


def select_rank0_message(pods: Sequence[Mapping[str, Any]], workers: int) -> str | None:
    """The termination message of rank 0's succeeded trainer container, if any pod has one.

    >>> pod = {"metadata": {"annotations": {INDEX_KEY: "0"}}, "status": {"phase": "Succeeded",
    ...        "containerStatuses": [{"name": "trainer", "state": {"terminated": {"message": "{}"}}}]}}
    >>> select_rank0_message([pod], 3)
    '{}'
    """
    for pod in pods:
        if (pod.get("status") or {}).get("phase") == "Succeeded" and (workers == 1 or _index(pod) == "0"):
            message = _terminated_message(pod)
            if message is not None:
                return message
    return None


def _index(pod: Mapping[str, Any]) -> str | None:
    meta = pod.get("metadata") or {}
    index = (meta.get("labels") or {}).get(INDEX_KEY) or (meta.get("annotations") or {}).get(INDEX_KEY)
    return str(index) if index is not None else None


def _terminated_message(pod: Mapping[str, Any]) -> str | None:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == TRAINER:
            message = ((cs.get("state") or {}).get("terminated") or {}).get("message")
            return str(message) if message is not None else None
    return None


def assess_pod_problems(pods: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """Why pods are stuck, in words the user can act on (a missing secret, a bad image, unschedulable).

    >>> assess_pod_problems([{"metadata": {"name": "p"}, "status": {"phase": "Pending", "containerStatuses": [
    ...     {"name": "trainer", "state": {"waiting": {"reason": "CreateContainerConfigError",
    ...                                              "message": 'secret "s3" not found'}}}]}}])
    ('pod p: CreateContainerConfigError: secret "s3" not found',)
    """
    problems = []
    for pod in pods:
        status, name = pod.get("status") or {}, (pod.get("metadata") or {}).get("name", "?")
        if status.get("phase") not in (None, "Pending", "Running"):
            continue
        for cs in status.get("containerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in STUCK_REASONS:
                problems.append(f"pod {name}: {waiting['reason']}: {waiting.get('message', '')}".rstrip(": "))
        for cond in status.get("conditions") or []:
            if cond.get("type") == "PodScheduled" and cond.get("reason") == "Unschedulable":
                problems.append(f"pod {name}: Unschedulable: {cond.get('message', '')}".rstrip(": "))
    return tuple(sorted(set(problems)))
