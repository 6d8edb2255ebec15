"""The simulated kubelet: drives every pod through its lifecycle and writes ``Pod.status``.

Each pod gets one task (keyed by uid). Pods the local runtime can run (``runtime.can_run``) run as
real processes; the others follow the :class:`PodBehaviours` rules with small real durations; with
``unknown_images="refuse"`` they stay Pending with reason ``ErrImageNotRunnable`` instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from modelyard.adapters.kube import MERGE, PODS, ApiError, KubeClient
from modelyard.sandbox.controllers import podstatus as ps
from modelyard.sandbox.controllers.base import Informers, cancel_all, now
from modelyard.sandbox.controllers.behaviour import Outcome, PodBehaviours
from modelyard.sandbox.controllers.common import is_active, rfc3339

JsonDict = dict[str, Any]
Report = Callable[[JsonDict], Awaitable[None]]
log = logging.getLogger(__name__)
NOT_RUNNABLE = "ErrImageNotRunnable"


class PodRuntime(Protocol):
    """Runs pods for real (the local process runtime)."""

    def can_run(self, pod: JsonDict) -> bool: ...

    async def run(self, pod: JsonDict, report: Report) -> None: ...


class Kubelet:
    def __init__(self, informers: Informers, behaviours: PodBehaviours, *, runtime: PodRuntime | None = None,
                 unknown_images: str = "simulate") -> None:
        self.kube: KubeClient = informers.kube
        self.behaviours = behaviours
        self.runtime = runtime
        self.unknown_images = unknown_images
        self.tasks: dict[str, asyncio.Task[None]] = {}
        informers[PODS].listen(self._on_pod)

    def _on_pod(self, kind: str, pod: JsonDict) -> None:
        uid = pod.get("metadata", {}).get("uid", "")
        if kind == "DELETED" or pod.get("metadata", {}).get("deletionTimestamp"):
            task = self.tasks.pop(uid, None)
            if task is not None:
                task.cancel()
            self.behaviours.forget(uid)
        elif uid not in self.tasks and is_active(pod) and not _already_stuck(pod):
            self.tasks[uid] = asyncio.create_task(self._drive(pod), name=f"pod-{pod['metadata']['name']}")

    async def stop(self) -> None:
        await cancel_all(self.tasks.values())
        self.tasks.clear()

    async def _drive(self, pod: JsonDict) -> None:
        report = _Reporter(self.kube, pod)
        try:
            if self.runtime is not None and self.runtime.can_run(pod):
                await self.runtime.run(pod, report)
            elif self.unknown_images == "refuse":
                images = ", ".join(c.get("image", "") for c in pod["spec"].get("containers", []))
                await report(ps.pending_status(pod, rfc3339(now()), reason=NOT_RUNNABLE, message=(
                    f"the sandbox cannot run image(s) {images} locally (see docs/sandbox.md)")))
            else:
                await simulate(pod, self.behaviours, report)
        except _PodGone:
            pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("kubelet: pod %s failed", pod["metadata"]["name"])


async def simulate(pod: JsonDict, behaviours: PodBehaviours, report: Report) -> None:
    """Pending -> Running (-> Ready) -> terminated, restarts and CrashLoopBackOff per restartPolicy."""
    outcome, timing = behaviours.outcome_for(pod), behaviours.timing
    await report(ps.pending_status(pod, rfc3339(now())))
    await asyncio.sleep(timing.schedule)
    if outcome.pending_reason:
        await report(ps.pending_status(pod, rfc3339(now()), reason=outcome.pending_reason,
                                       message=outcome.pending_message))
        return
    ip, policy = ps.fake_pod_ip(pod["metadata"].get("uid", "")), pod["spec"].get("restartPolicy", "Always")
    restarts, backoff = 0, timing.crash_backoff
    while True:
        end = await _run_once(pod, outcome, behaviours, report, ip, restarts)
        if policy == "Never" or (policy == "OnFailure" and end.exit_code == 0):
            await report(ps.terminated_status(pod, rfc3339(now()), end, pod_ip=ip, restarts=restarts))
            return
        restarts += 1
        await report(ps.crashloop_status(pod, rfc3339(now()), end, pod_ip=ip, restarts=restarts, backoff=backoff))
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, timing.crash_backoff_max)


async def _run_once(pod: JsonDict, outcome: Outcome, behaviours: PodBehaviours, report: Report, ip: str,
                    restarts: int) -> ps.Terminated:
    timing, started = behaviours.timing, rfc3339(now())
    probe = ps.has_readiness_probe(pod)
    await report(ps.running_status(pod, started, started_at=started, ready=outcome.ready and not probe,
                                   pod_ip=ip, restarts=restarts))
    run = outcome.run_seconds if outcome.run_seconds is not None else timing.run
    if outcome.ready and probe:
        wait = outcome.ready_after if outcome.ready_after is not None else timing.ready
        await asyncio.sleep(wait)
        run -= wait
        await report(ps.running_status(pod, rfc3339(now()), started_at=started, ready=True, pod_ip=ip,
                                       restarts=restarts))
    if outcome.exit_code is None:
        await asyncio.Event().wait()  # runs until the pod is deleted (the task is cancelled)
    await asyncio.sleep(max(run, 0.0))
    return ps.Terminated(outcome.exit_code or 0, outcome.terminated_reason, outcome.message, started,
                         rfc3339(now()))


class _PodGone(Exception):
    pass


class _Reporter:
    """Writes a pod's whole status, keeping condition transition times; stops the pod's task on 404."""

    def __init__(self, kube: KubeClient, pod: JsonDict) -> None:
        self.kube, self.pod = kube, pod
        self.last: JsonDict = pod.get("status") or {}

    async def __call__(self, status: JsonDict) -> None:
        status = ps.merge_transition_times(self.last, status)
        if status == self.last:
            return
        md = self.pod["metadata"]
        body = {"status": {**{k: None for k in self.last if k not in status}, **status}}
        try:
            await self.kube.patch(PODS, md.get("namespace"), md["name"], body, content_type=MERGE, subresource="status")
        except ApiError as e:
            if e.not_found:
                raise _PodGone() from e
            raise
        self.last = status


def _already_stuck(pod: JsonDict) -> bool:
    """A pod we already left Pending for good (after a relist we must not start it again)."""
    for c in pod.get("status", {}).get("containerStatuses") or []:
        reason = (c.get("state", {}).get("waiting") or {}).get("reason")
        if reason and reason not in ("ContainerCreating", "CrashLoopBackOff", "PodInitializing"):
            return True
    return False
