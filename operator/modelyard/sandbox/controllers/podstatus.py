"""Pure builders of ``Pod.status`` as a kubelet would write it, one function per state.

Every builder takes ``now`` (an RFC 3339 string) and returns a whole ``status`` for the pod, so the
simulated kubelet writes complete statuses through the ``/status`` subresource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

JsonDict = dict[str, Any]
HOST_IP = "10.0.0.1"


@dataclass(frozen=True)
class Terminated:
    """How a container ended."""

    exit_code: int
    reason: str
    message: str
    started_at: str
    finished_at: str


def fake_pod_ip(uid: str) -> str:
    """A stable fake pod IP in 10.244.0.0/16 derived from the uid (nothing dials it).

    >>> fake_pod_ip("00000000-0000-0000-0000-000000000101")
    '10.244.1.1'
    """
    n = int(uid.replace("-", "")[-4:] or "0", 16)
    return f"10.244.{(n >> 8) % 256}.{max(n % 256, 1)}"


def _condition(type_: str, status: bool, now: str, reason: str | None = None, message: str = "") -> JsonDict:
    cond: JsonDict = {"type": type_, "status": "True" if status else "False", "lastProbeTime": None,
                      "lastTransitionTime": now}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def _containers(pod: Mapping[str, Any]) -> list[JsonDict]:
    containers: list[JsonDict] = pod.get("spec", {}).get("containers", [])
    return containers


def _container_status(c: Mapping[str, Any], state: JsonDict, *, ready: bool, restarts: int = 0,
                      last: JsonDict | None = None) -> JsonDict:
    status: JsonDict = {"name": c.get("name", ""), "image": c.get("image", ""), "imageID": "",
                        "ready": ready, "restartCount": restarts, "started": "running" in state,
                        "state": state, "lastState": last or {}}
    if "running" in state:
        status["containerID"] = f"sandbox://{c.get('name', '')}"
    return status


def pending_status(pod: Mapping[str, Any], now: str, *, reason: str = "ContainerCreating", message: str = "",
                   scheduled: bool = True) -> JsonDict:
    """Pending: scheduled, containers waiting with ``reason`` (ContainerCreating, ErrImagePull...)."""
    waiting: JsonDict = {"reason": reason}
    if message:
        waiting["message"] = message
    conditions = [_condition("PodScheduled", scheduled, now)]
    if reason != "ContainerCreating":
        conditions.append(_condition("ContainersReady", False, now, "ContainersNotReady", message or reason))
        conditions.append(_condition("Ready", False, now, "ContainersNotReady", message or reason))
    return {"phase": "Pending", "conditions": conditions, "hostIP": HOST_IP, "startTime": now,
            "containerStatuses": [_container_status(c, {"waiting": dict(waiting)}, ready=False)
                                  for c in _containers(pod)]}


def running_status(pod: Mapping[str, Any], now: str, *, started_at: str, ready: bool, pod_ip: str,
                   restarts: int = 0, last: JsonDict | None = None) -> JsonDict:
    """Running; Ready when ``ready``."""
    state = {"running": {"startedAt": started_at}}
    return _with_conditions({
        "phase": "Running", "hostIP": HOST_IP, "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
        "startTime": started_at,
        "containerStatuses": [_container_status(c, state, ready=ready, restarts=restarts, last=last)
                              for c in _containers(pod)],
    }, now, ready)


def terminated_status(pod: Mapping[str, Any], now: str, end: Terminated, *, pod_ip: str,
                      restarts: int = 0) -> JsonDict:
    """Succeeded (exit 0) or Failed: the pod is done; the termination message is in the state."""
    phase = "Succeeded" if end.exit_code == 0 else "Failed"
    return _with_conditions({
        "phase": phase, "hostIP": HOST_IP, "podIP": pod_ip, "podIPs": [{"ip": pod_ip}], "startTime": end.started_at,
        "containerStatuses": [_container_status(c, {"terminated": terminated_state(end)}, ready=False,
                                                restarts=restarts) for c in _containers(pod)],
    }, now, False, reason="PodCompleted")


def crashloop_status(pod: Mapping[str, Any], now: str, last: Terminated, *, pod_ip: str, restarts: int,
                     backoff: float) -> JsonDict:
    """Running phase, container waiting in CrashLoopBackOff after its last termination."""
    name = _containers(pod)[0].get("name", "") if _containers(pod) else ""
    message = f"back-off {backoff:g}s restarting failed container={name} pod={pod['metadata']['name']}"
    state = {"waiting": {"reason": "CrashLoopBackOff", "message": message}}
    return _with_conditions({
        "phase": "Running", "hostIP": HOST_IP, "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
        "startTime": last.started_at,
        "containerStatuses": [_container_status(c, state, ready=False, restarts=restarts,
                                                last={"terminated": terminated_state(last)})
                              for c in _containers(pod)],
    }, now, False)


def terminated_state(end: Terminated) -> JsonDict:
    state: JsonDict = {"exitCode": end.exit_code, "reason": end.reason, "startedAt": end.started_at,
                       "finishedAt": end.finished_at}
    if end.message:
        state["message"] = end.message
    return state


def _with_conditions(status: JsonDict, now: str, ready: bool, reason: str = "ContainersNotReady") -> JsonDict:
    why = None if ready else reason
    status["conditions"] = [
        _condition("PodScheduled", True, now), _condition("Initialized", True, now),
        _condition("ContainersReady", ready, now, why), _condition("Ready", ready, now, why),
    ]
    return status


def merge_transition_times(old: Mapping[str, Any], new: JsonDict) -> JsonDict:
    """Keep each condition's ``lastTransitionTime`` from ``old`` when its status did not change."""
    before = {c.get("type"): c for c in old.get("conditions") or []}
    for cond in new.get("conditions", []):
        prev = before.get(cond["type"])
        if prev is not None and prev.get("status") == cond["status"]:
            cond["lastTransitionTime"] = prev.get("lastTransitionTime", cond["lastTransitionTime"])
    return new


def has_readiness_probe(pod: Mapping[str, Any]) -> bool:
    return any("readinessProbe" in c for c in _containers(pod))
