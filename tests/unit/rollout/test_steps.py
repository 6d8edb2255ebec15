"""Step and replica arithmetic: table-driven, like Argo Rollouts' TestCalculateReplicaCountsForCanary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from modelyard.api.inferenceservice import Pause, Step
from modelyard.core.steps import (
    Split,
    calculate_canary_replicas,
    calculate_effective_weight,
    calculate_gateway_weights,
    calculate_replica_split,
    calculate_step_weight,
    parse_duration,
)


@pytest.mark.parametrize(
    ("total", "weight", "canary_ready", "expected"),
    [
        (5, 0, 0, Split(stable=5, canary=0)),
        (5, 20, 0, Split(stable=5, canary=1)),
        (5, 20, 1, Split(stable=4, canary=1)),
        (5, 50, 1, Split(stable=4, canary=3)),
        (5, 50, 3, Split(stable=2, canary=3)),
        (10, 33, 4, Split(stable=6, canary=4)),
        (10, 1, 1, Split(stable=9, canary=1)),
        (1, 20, 0, Split(stable=1, canary=1)),
        (1, 20, 1, Split(stable=1, canary=1)),
        (4, 100, 2, Split(stable=2, canary=4)),
        (4, 100, 4, Split(stable=1, canary=4)),
        (4, 100, 9, Split(stable=1, canary=4)),
        (0, 50, 0, Split(stable=0, canary=0)),
        (3, 50, -1, Split(stable=3, canary=2)),
    ],
    ids=["no-weight", "canary-not-ready-stable-untouched", "20pct-ready", "50pct-partly-ready", "50pct-rounds-up",
         "33pct-of-10", "1pct-still-one-pod", "single-replica-surges", "single-replica-ready-keeps-stable",
         "100pct-half-ready", "100pct-stable-keeps-one", "more-ready-than-wanted", "zero-replicas",
         "negative-ready-is-zero"],
)
def test_replica_split(total: int, weight: int, canary_ready: int, expected: Split) -> None:
    assert calculate_replica_split(total, weight, canary_ready) == expected


@pytest.mark.parametrize("total", range(0, 12))
@pytest.mark.parametrize("weight", [0, 1, 10, 20, 25, 33, 50, 66, 75, 99, 100])
def test_split_never_leaves_stable_without_pods_and_never_shrinks_ahead_of_canary(total: int, weight: int) -> None:
    for ready in range(total + 1):
        split = calculate_replica_split(total, weight, ready)
        assert split.stable >= min(total, 1)
        assert split.stable + min(ready, split.canary) >= total
        assert split.canary == calculate_canary_replicas(total, weight)


@pytest.mark.parametrize(
    ("total", "weight", "expected"),
    [(5, 0, 0), (5, 1, 1), (5, 20, 1), (5, 21, 2), (5, 100, 5), (0, 100, 0), (3, 150, 3)],
    ids=["zero", "tiny-rounds-up", "exact", "just-over", "all", "no-replicas", "capped"],
)
def test_canary_replicas(total: int, weight: int, expected: int) -> None:
    assert calculate_canary_replicas(total, weight) == expected


@pytest.mark.parametrize(
    ("stable", "canary", "expected"),
    [(4, 1, 20), (0, 0, 0), (0, 3, 100), (2, 1, 33), (1, 1, 50)],
    ids=["fifth", "no-endpoints", "canary-only", "third-rounds", "half"],
)
def test_effective_weight(stable: int, canary: int, expected: int) -> None:
    assert calculate_effective_weight(stable, canary) == expected


@pytest.mark.parametrize(
    ("weight", "expected"), [(0, (100, 0)), (35, (65, 35)), (100, (0, 100)), (120, (0, 100)), (-5, (100, 0))],
    ids=["none", "some", "all", "over", "under"],
)
def test_gateway_weights_sum_to_100(weight: int, expected: tuple[int, int]) -> None:
    assert calculate_gateway_weights(weight) == expected


STEPS = [Step(pause=Pause()), Step(set_weight=10), Step(pause=Pause(duration="1m")), Step(set_weight=60)]


@pytest.mark.parametrize(("index", "expected"), [(0, 0), (1, 10), (2, 10), (3, 60), (9, 60)],
                         ids=["pause-first", "set", "pause-keeps", "second-set", "past-the-end"])
def test_step_weight(index: int, expected: int) -> None:
    assert calculate_step_weight(STEPS, index) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30s", timedelta(seconds=30)), ("5m", timedelta(minutes=5)), ("1h30m", timedelta(minutes=90)),
     ("250ms", timedelta(milliseconds=250)), ("1.5s", timedelta(seconds=1.5))],
    ids=["seconds", "minutes", "compound", "millis", "fraction"],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "5x", "m5", "5m junk"], ids=["empty", "no-unit", "bad-unit",
                                                                         "unit-first", "trailing"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
