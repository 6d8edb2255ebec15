"""Offline gates: absolute thresholds and regressions against the stable version."""

from __future__ import annotations

import pytest

from modelyard.api.common import Threshold
from modelyard.api.inferenceservice import Gate
from modelyard.core.gates import assess_gates

ACC = Gate(metric="accuracy", threshold=Threshold(min=0.8))
ACC_REG = Gate(metric="accuracy", max_regression=0.02)
LOSS_REG = Gate(metric="loss", max_regression=0.05, lower_is_better=True)


@pytest.mark.parametrize(
    ("gates", "candidate", "stable", "failing"),
    [
        ([], {}, None, []),
        ([ACC], {"accuracy": 0.9}, None, []),
        ([ACC], {"accuracy": 0.7}, None, ["accuracy"]),
        ([ACC], {}, None, ["accuracy"]),
        ([ACC_REG], {"accuracy": 0.89}, {"accuracy": 0.9}, []),
        ([ACC_REG], {"accuracy": 0.88}, {"accuracy": 0.9}, []),
        ([ACC_REG], {"accuracy": 0.87}, {"accuracy": 0.9}, ["accuracy"]),
        ([ACC_REG], {"accuracy": 0.5}, None, []),
        ([ACC_REG], {"accuracy": 0.5}, {}, []),
        ([LOSS_REG], {"loss": 0.54}, {"loss": 0.5}, []),
        ([LOSS_REG], {"loss": 0.56}, {"loss": 0.5}, ["loss"]),
        ([ACC, LOSS_REG], {"accuracy": 0.7, "loss": 0.9}, {"loss": 0.5}, ["accuracy", "loss"]),
    ],
    ids=["no-gates", "above-min", "below-min", "missing-fails", "small-drop", "drop-at-limit", "drop-past-limit",
         "no-stable-no-regression", "stable-lacks-metric", "loss-small-rise", "loss-rise-past-limit", "both-fail"],
)
def test_gates(gates: list[Gate], candidate: dict[str, float], stable: dict[str, float] | None,
               failing: list[str]) -> None:
    assert [r.metric for r in assess_gates(gates, candidate, stable)] == failing
