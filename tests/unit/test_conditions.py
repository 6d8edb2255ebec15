from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelyard.api.common import Condition
from modelyard.core.conditions import find_condition, set_condition, summarize

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("before", "after", "moves"),
    [("False", "False", False), ("False", "True", True), ("Unknown", "False", True), ("True", "True", False)],
    ids=["same-status", "flip-to-true", "unknown-to-false", "stays-true"],
)
def test_last_transition_time_moves_only_on_flip(before: str, after: str, moves: bool) -> None:
    c = set_condition([], "Ready", before, "A", "one", T0)
    c = set_condition(c, "Ready", after, "B", "two", T1)
    cond = find_condition(c, "Ready")
    assert cond is not None
    assert cond.last_transition_time == (T1 if moves else T0)
    assert (cond.reason, cond.message) == ("B", "two")


def test_summarize_stalled_forces_ready_false_and_drops_reconciling() -> None:
    c = summarize([], ready=None, reconciling=True, stalled=False, reason="R", message="", now=T0, generation=1)
    assert {x.type: x.status for x in c} == {"Ready": "Unknown", "Reconciling": "True"}
    c = summarize(c, ready=True, reconciling=True, stalled=True, reason="InvalidSpec", message="m", now=T1,
                  generation=2)
    assert {x.type: x.status for x in c} == {"Ready": "False", "Stalled": "True"}
    assert all(x.observed_generation == 2 for x in c)


def test_unchanged_state_gives_identical_conditions() -> None:
    args = dict(ready=False, reconciling=True, stalled=False, reason="Progressing", message="m", generation=3)
    first = summarize([], now=T0, **args)  # type: ignore[arg-type]
    again = summarize(first, now=T1, **args)  # type: ignore[arg-type]
    assert [x.model_dump() for x in first] == [x.model_dump() for x in again]


def test_reason_must_be_camel_case() -> None:
    with pytest.raises(ValueError):
        Condition(type="Ready", status="True", reason="", last_transition_time=T0)  # type: ignore[arg-type]
