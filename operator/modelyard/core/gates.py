"""Offline gates (pure): the candidate's recorded metrics, checked before any traffic moves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from modelyard.api.inferenceservice import Gate
from modelyard.core.analysis import describe_range, in_range


@dataclass(frozen=True)
class GateResult:
    """One gate's outcome."""

    metric: str
    passed: bool
    message: str


def assess_gate(gate: Gate, candidate: Mapping[str, float], stable: Mapping[str, float] | None) -> GateResult:
    """Whether the candidate passes one gate: its absolute range, then its regression against the stable.

    A metric the candidate lacks fails (a gate cannot be passed by omission). The regression check is
    skipped when there is no stable version or the stable lacks the metric (nothing to regress from).

    >>> from modelyard.api.common import Threshold
    >>> g = Gate(metric="accuracy", threshold=Threshold(min=0.8), max_regression=0.02)
    >>> [assess_gate(g, {"accuracy": a}, {"accuracy": 0.9}).passed for a in (0.95, 0.885, 0.87, 0.7)]
    [True, True, False, False]
    >>> assess_gate(g, {}, None).message
    'accuracy: missing from the candidate'
    >>> loss = Gate(metric="loss", max_regression=0.1, lower_is_better=True)
    >>> [assess_gate(loss, {"loss": x}, {"loss": 0.5}).passed for x in (0.55, 0.65)]
    [True, False]
    """
    value = candidate.get(gate.metric)
    if value is None:
        return GateResult(gate.metric, False, f"{gate.metric}: missing from the candidate")
    if gate.threshold is not None and not in_range(value, gate.threshold):
        return GateResult(gate.metric, False, f"{gate.metric}={value:g} outside {describe_range(gate.threshold)}")
    base = None if stable is None else stable.get(gate.metric)
    if gate.max_regression is not None and base is not None:
        drop = value - base if gate.lower_is_better else base - value
        if drop > gate.max_regression + 1e-12:
            return GateResult(gate.metric, False,
                              f"{gate.metric}={value:g} regresses {drop:g} from stable's {base:g} "
                              f"(at most {gate.max_regression:g})")
    return GateResult(gate.metric, True, f"{gate.metric}={value:g} passes")


def assess_gates(
    gates: Sequence[Gate], candidate: Mapping[str, float], stable: Mapping[str, float] | None
) -> list[GateResult]:
    """The failing gates (empty: the candidate may take traffic)."""
    return [r for r in (assess_gate(g, candidate, stable) for g in gates) if not r.passed]
