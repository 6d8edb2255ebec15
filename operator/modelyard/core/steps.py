"""Step and replica arithmetic of a canary (pure), kept apart from the API writes.

Like Argo Rollouts' ``CalculateReplicaCountsForBasicCanary``: given the total replica count, the weight a
step asks for and how many canary pods are ready, how many pods each version should run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from modelyard.api.inferenceservice import Step

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> timedelta:
    """A Go-style duration (the API's ``Duration``) as a timedelta.

    >>> parse_duration("1h30m"), parse_duration("500ms"), parse_duration("90s")
    (datetime.timedelta(seconds=5400), datetime.timedelta(microseconds=500000), datetime.timedelta(seconds=90))
    """
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{text!r} is not a duration such as 30s, 5m or 1h30m")
    return timedelta(seconds=sum(float(n) * _UNIT_SECONDS[u] for n, u in parts))


def calculate_step_weight(steps: Sequence[Step], index: int) -> int:
    """The canary weight in force at step ``index``: the last setWeight at or before it (0 if none).

    >>> from modelyard.api.inferenceservice import Pause
    >>> steps = [Step(set_weight=20), Step(pause=Pause()), Step(set_weight=50)]
    >>> [calculate_step_weight(steps, i) for i in range(3)], calculate_step_weight([Step(pause=Pause())], 0)
    ([20, 20, 50], 0)
    """
    for step in reversed(steps[: index + 1]):
        if step.set_weight is not None:
            return step.set_weight
    return 0


def calculate_canary_replicas(total: int, weight: int) -> int:
    """Canary pods for ``weight`` percent of ``total``: rounded up, so any weight above 0 gets a pod.

    >>> [calculate_canary_replicas(5, w) for w in (0, 1, 20, 50, 100)], calculate_canary_replicas(0, 50)
    ([0, 1, 1, 3, 5], 0)
    """
    if total <= 0 or weight <= 0:
        return 0
    return min(total, math.ceil(total * weight / 100))


@dataclass(frozen=True)
class Split:
    """Desired replicas of each version."""

    stable: int
    canary: int


def calculate_replica_split(total: int, weight: int, canary_ready: int) -> Split:
    """The replica-ratio router's pod counts: traffic follows pods behind one Service.

    The canary gets ``ceil(total * weight / 100)`` pods. The stable shrinks to ``total - canary`` but
    only as far as canary pods are *ready* (never ahead of them), and never below one pod while a
    canary exists, so a rollback always has a ready stable endpoint to fall back on. Worked examples:

    - total 5, weight 20, canary not ready yet: canary 1, stable 5 (nothing shrinks before the canary serves)
    - total 5, weight 20, 1 canary ready: canary 1, stable 4 -> 1/5 = 20 %
    - total 5, weight 50, 3 ready: canary 3, stable 2 -> 3/5 = 60 % (rounded up, towards the canary)
    - total 10, weight 33, 4 ready: canary 4, stable 6 -> 40 %
    - total 1, weight 20, 1 ready: canary 1, stable 1 -> 50 % (one pod cannot carry 20 %)
    - total 4, weight 100, 4 ready: canary 4, stable 1 -> 80 % (stable keeps one pod until promotion)

    >>> [calculate_replica_split(5, 20, r) for r in (0, 1)]
    [Split(stable=5, canary=1), Split(stable=4, canary=1)]
    >>> calculate_replica_split(4, 100, 4), calculate_replica_split(1, 20, 1), calculate_replica_split(0, 50, 0)
    (Split(stable=1, canary=4), Split(stable=1, canary=1), Split(stable=0, canary=0))
    """
    canary = calculate_canary_replicas(total, weight)
    serving = min(canary, max(canary_ready, 0))
    stable = max(total - serving, 1 if total > 0 else 0)
    return Split(stable=stable, canary=canary)


def calculate_effective_weight(stable_ready: int, canary_ready: int) -> int:
    """The canary's share of ready endpoints, in percent (what the replica-ratio router really delivers).

    >>> calculate_effective_weight(4, 1), calculate_effective_weight(0, 0), calculate_effective_weight(1, 4)
    (20, 0, 80)
    """
    endpoints = stable_ready + canary_ready
    return 0 if endpoints <= 0 else round(100 * canary_ready / endpoints)


def calculate_gateway_weights(canary_weight: int) -> tuple[int, int]:
    """(stable, canary) backendRef weights of the HTTPRoute; they always add up to 100.

    >>> calculate_gateway_weights(20), calculate_gateway_weights(150), calculate_gateway_weights(-3)
    ((80, 20), (0, 100), (100, 0))
    """
    w = min(max(canary_weight, 0), 100)
    return 100 - w, w
