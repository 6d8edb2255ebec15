"""kstatus (Flux `wait: true`) on our objects: Current only when the work is really done, Failed when Stalled."""

from __future__ import annotations

import doctest
from typing import Any

import pytest

import modelyard.kstatus
from modelyard.kstatus import compute
from tests.unit.gitops.cases import CASES, Case, conditions


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_kstatus(case: Case) -> None:
    assert compute(case.body)[0] == case.kstatus


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"metadata": {"generation": 3, "deletionTimestamp": "t"}}, "Terminating"),
        ({"metadata": {"generation": 3}, "status": {"observedGeneration": 2}}, "InProgress"),
        ({"metadata": {"generation": 3}, "status": {}}, "Current"),
        ({"status": {"conditions": [{"type": "Stalled", "status": "True"},
                                    {"type": "Reconciling", "status": "True"}]}}, "Failed"),
        ({"status": {"conditions": [{"type": "Reconciling", "status": "True"},
                                    {"type": "Stalled", "status": "True"}]}}, "InProgress"),
        ({"status": {"conditions": [{"type": "Stalled", "status": "False"}, {"type": "Ready", "status": "True"}]}},
         "Current"),
        ({"status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}, "InProgress"),
    ],
    ids=["deleting", "generation-lag", "no-observed-generation", "stalled-first", "reconciling-first",
         "false-stalled-ignored", "ready-unknown"],
)
def test_kstatus_rules(obj: dict[str, Any], expected: str) -> None:
    assert compute(obj)[0] == expected


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"ready": None, "reconciling": True}, "InProgress"),
        ({"ready": False, "reconciling": True}, "InProgress"),
        ({"ready": True, "reconciling": True}, "InProgress"),
        ({"ready": False}, "InProgress"),
        ({"ready": None}, "InProgress"),
        ({"ready": True}, "Current"),
        ({"ready": True, "stalled": True}, "Failed"),
        ({"ready": None, "reconciling": True, "stalled": True}, "Failed"),
    ],
    ids=["starting", "working", "serving-while-rolling", "not-ready", "unknown", "done", "stalled-wins",
         "stalled-over-reconciling"],
)
def test_summarize_only_says_current_when_done(flags: dict[str, Any], expected: str) -> None:
    """Whatever the controllers pass to ``core.conditions.summarize``, kstatus reads it right."""
    obj = {"metadata": {"generation": 1}, "status": {"observedGeneration": 1, "conditions": conditions(**flags)}}
    assert compute(obj)[0] == expected


def test_docstring_examples() -> None:
    assert doctest.testmod(modelyard.kstatus).failed == 0
