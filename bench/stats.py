"""Pure arithmetic of the benchmarks: percentiles, ratios, rates, what a status says. No I/O, no clock."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

BENCH_AGENT = "modelyard-bench"
CONTROLLERS_AGENT = "sandbox-controllers"


def agent_class(user_agent: str) -> str:
    """Who sent a request: the bench itself, the simulated controllers, or else the operator under test."""
    if user_agent.startswith(BENCH_AGENT):
        return "bench"
    if user_agent.startswith(CONTROLLERS_AGENT):
        return "controllers"
    return "operator"


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation between closest ranks; None when empty.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(ours: float | None, baseline: float | None) -> float | None:
    """ours / baseline, or None when either is unknown or the baseline is zero."""
    if ours is None or baseline is None or baseline == 0:
        return None
    return ours / baseline


def per_object_per_hour(count: int, objects: int, seconds: float) -> float | None:
    """Extrapolate ``count`` events over ``seconds`` for ``objects`` objects to events per object per hour."""
    if objects <= 0 or seconds <= 0:
        return None
    return count / objects / seconds * 3600


def per_second(count: int, seconds: float) -> float | None:
    """A rate; None for an empty window."""
    return None if seconds <= 0 else count / seconds


def condition_is_true(body: Mapping[str, Any], type_: str) -> bool:
    """Whether the object's status carries condition ``type_`` with status True."""
    conditions = (body.get("status") or {}).get("conditions") or []
    return any(c.get("type") == type_ and c.get("status") == "True" for c in conditions)


def has_first_status(body: Mapping[str, Any]) -> bool:
    """Whether an operator has written a status describing the object's current generation."""
    status = body.get("status") or {}
    generation = (body.get("metadata") or {}).get("generation")
    return status.get("observedGeneration") is not None and status.get("observedGeneration") == generation


def mib(kib: int | None) -> float | None:
    """KiB (as /proc reports VmRSS) to MiB."""
    return None if kib is None else kib / 1024


def proc_status_kib(proc_status: str, field: str = "VmRSS") -> int | None:
    """A KiB field (VmRSS, VmHWM) of the text of /proc/PID/status; None when absent."""
    for line in proc_status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None
