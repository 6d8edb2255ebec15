"""Deliberate faults for the "bad model" demo: a share of infer requests answered 500, added latency. Pure.

The share is exact and deterministic (no randomness): request ``n`` (0-based) fails when
``floor((n + 1) * rate) > floor(n * rate)``, so 30% fails 3 of every 10 requests, evenly spread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelyard.serving.settings import parse_duration, parse_rate


@dataclass
class FaultPlan:
    """What to inject; ``counter`` counts infer requests seen."""

    error_rate: float = 0.0
    latency_seconds: float = 0.0
    counter: int = 0

    @property
    def active(self) -> bool:
        return self.error_rate > 0 or self.latency_seconds > 0

    def next_fails(self) -> bool:
        """Whether the next infer request is answered with an injected 500."""
        n = self.counter
        self.counter += 1
        return should_fail(n, self.error_rate)


def should_fail(n: int, rate: float) -> bool:
    """Request ``n`` fails under an exact share ``rate``.

    >>> [should_fail(n, 0.3) for n in range(10)].count(True)
    3
    >>> any(should_fail(n, 0.0) for n in range(100)), all(should_fail(n, 1.0) for n in range(100))
    (False, True)
    """
    return math.floor((n + 1) * rate + 1e-9) > math.floor(n * rate + 1e-9)


def resolve_faults(
    env_rate: float | None, env_latency: float | None, model_faults: Mapping[str, Any]
) -> FaultPlan:
    """Environment knobs win over what the model carries; bad values in the model are ignored as 0.

    >>> resolve_faults(None, None, {"errorRate": 0.5, "latency": "200ms"})
    FaultPlan(error_rate=0.5, latency_seconds=0.2, counter=0)
    >>> resolve_faults(0.1, None, {"errorRate": 0.5})
    FaultPlan(error_rate=0.1, latency_seconds=0.0, counter=0)
    """
    rate = env_rate if env_rate is not None else _model_value(model_faults.get("errorRate"), parse_rate)
    latency = env_latency if env_latency is not None else _model_value(model_faults.get("latency"), parse_duration)
    return FaultPlan(error_rate=rate, latency_seconds=latency)


def _model_value(raw: Any, parse: Any) -> float:
    if raw is None:
        return 0.0
    try:
        return float(parse(str(raw)))
    except ValueError:
        return 0.0
