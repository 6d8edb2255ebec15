"""The liveness probe's judgement of watches: stuck only when the API holds what the watch never delivered."""

from __future__ import annotations

import doctest
import logging

import pytest

from modelyard.adapters import telemetry
from modelyard.adapters.telemetry import CURRENT_OBJECT, WatchTracker, install_object_log_context, object_ref

# Each step: ("saw", uid, rv) | ("saw-deleted", uid, "") | ("assess", listed, now) -> expected stuck count
CASES = {
    "idle-cluster-everything-delivered": ([("saw", "a", "1"), ("saw", "b", "2")],
                                          [([("a", "1"), ("b", "2")], 0.0), ([("a", "1"), ("b", "2")], 9999.0)],
                                          [0, 0]),
    "empty-cluster": ([], [([], 0.0), ([], 9999.0)], [0, 0]),
    "lag-within-grace": ([("saw", "a", "1")], [([("a", "2")], 0.0), ([("a", "2")], 59.0)], [0, 0]),
    "lag-beyond-grace": ([("saw", "a", "1")], [([("a", "2")], 0.0), ([("a", "2")], 61.0)], [0, 1]),
    "never-delivered-object": ([], [([("a", "1")], 0.0), ([("a", "1")], 61.0)], [0, 1]),
    "busy-object-watch-keeps-up": ([("saw", "a", "1")],
                                   [([("a", "2")], 0.0), ("saw", "a", "2"), ([("a", "3")], 40.0),
                                    ("saw", "a", "3"), ([("a", "4")], 80.0), ([("a", "4")], 130.0)],
                                   [0, 0, 0, 0]),
    "caught-up-then-stuck-again": ([("saw", "a", "1")],
                                   [([("a", "2")], 0.0), ("saw", "a", "2"), ([("a", "2")], 10.0),
                                    ([("a", "3")], 20.0), ([("a", "3")], 81.0)],
                                   [0, 0, 0, 1]),
    "deleted-object-forgotten": ([("saw", "a", "1"), ("saw-deleted", "a", "")],
                                 [([], 0.0), ([], 100.0)], [0, 0]),
}


@pytest.mark.parametrize(("setup", "steps", "expected"), CASES.values(), ids=CASES.keys())
def test_assess(setup: list[tuple[str, str, str]], steps: list[object], expected: list[int]) -> None:
    tracker = WatchTracker()
    for op, uid, rv in setup:
        tracker.saw("mv", uid, rv, deleted=op == "saw-deleted")
    results = []
    for step in steps:
        if isinstance(step, tuple) and step and step[0] == "saw":
            tracker.saw("mv", step[1], step[2])
        else:
            listed, now = step  # type: ignore[misc]
            results.append(len(tracker.assess("mv", listed, now, grace=60)))
    assert results == expected


def test_resources_are_judged_apart() -> None:
    tracker = WatchTracker()
    tracker.saw("trainingjobs", "a", "1")
    assert tracker.assess("modelversions", [("a", "1")], 0.0, 1) == []
    assert tracker.assess("modelversions", [("a", "1")], 5.0, 1) != []
    assert tracker.assess("trainingjobs", [("a", "1")], 5.0, 1) == []


def test_docstring_examples() -> None:
    assert doctest.testmod(telemetry).failed == 0


REFS = {
    "namespaced": ({"apiVersion": "v1", "kind": "K", "metadata": {"name": "n", "namespace": "ns", "uid": "u"}},
                   {"apiVersion": "v1", "kind": "K", "name": "n", "namespace": "ns", "uid": "u"}),
    "no-metadata": ({"kind": "K"}, {"apiVersion": None, "kind": "K", "name": None, "namespace": None, "uid": None}),
    "not-a-body": (None, None),
}


@pytest.mark.parametrize(("body", "ref"), REFS.values(), ids=REFS.keys())
def test_object_ref(body: object, ref: object) -> None:
    assert object_ref(body) == ref


def test_log_records_carry_the_current_object() -> None:
    install_object_log_context()
    install_object_log_context()  # idempotent
    token = CURRENT_OBJECT.set({"name": "n", "namespace": "ns"})
    try:
        inside = logging.getLogger("modelyard.test").makeRecord("x", logging.INFO, "f", 1, "m", (), None)
    finally:
        CURRENT_OBJECT.reset(token)
    outside = logging.getLogger("modelyard.test").makeRecord("x", logging.INFO, "f", 1, "m", (), None)
    assert getattr(inside, "k8s_ref", None) == {"name": "n", "namespace": "ns"}
    assert not hasattr(outside, "k8s_ref")
