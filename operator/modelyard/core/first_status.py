"""The first honest status of any kind, before its own reconciler has anything to say."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from modelyard.api.common import Condition
from modelyard.core.conditions import summarize


def calculate_initial_conditions(
    conditions: Sequence[Condition], generation: int | None, now: datetime
) -> list[Condition]:
    """Ready=Unknown and Reconciling=True: the operator has seen the object and is working on it."""
    return summarize(
        conditions, ready=None, reconciling=True, stalled=False,
        reason="Reconciling", message="The operator has seen this object and is reconciling it.",
        now=now, generation=generation,
    )


def calculate_invalid_conditions(
    conditions: Sequence[Condition], generation: int | None, message: str, now: datetime
) -> list[Condition]:
    """Stalled=True, reason InvalidSpec: nothing will change until the spec does."""
    return summarize(
        conditions, ready=False, reconciling=False, stalled=True,
        reason="InvalidSpec", message=message, now=now, generation=generation,
    )
