"""Conditions as the Kubernetes API conventions and kstatus read them.

``set_condition`` keeps ``lastTransitionTime`` when the status does not flip, so an unchanged state
writes an unchanged status and the operator never loops on its own writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from modelyard.api.common import Condition, ConditionStatus

READY = "Ready"
RECONCILING = "Reconciling"
STALLED = "Stalled"


def set_condition(
    conditions: Sequence[Condition],
    type_: str,
    status: ConditionStatus | str,
    reason: str,
    message: str,
    now: datetime,
    generation: int | None = None,
) -> list[Condition]:
    """Return ``conditions`` with ``type_`` set; ``lastTransitionTime`` moves only when status flips.

    >>> from datetime import datetime, timezone
    >>> t0, t1 = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 2, tzinfo=timezone.utc)
    >>> c = set_condition([], "Ready", "False", "Progressing", "rolling out", t0)
    >>> c = set_condition(c, "Ready", "False", "Analysing", "step 2", t1)
    >>> c[0].last_transition_time == t0, c[0].reason
    (True, 'Analysing')
    >>> set_condition(c, "Ready", "True", "Healthy", "", t1)[0].last_transition_time == t1
    True
    """
    status = ConditionStatus(status)
    old = find_condition(conditions, type_)
    since = old.last_transition_time if old is not None and old.status == status else now
    new = Condition(
        type=type_, status=status, reason=reason, message=message,
        last_transition_time=since, observed_generation=generation,
    )
    out = [c for c in conditions if c.type != type_]
    out.append(new)
    return sorted(out, key=lambda c: _ORDER.get(c.type, len(_ORDER)))


_ORDER = {READY: 0, RECONCILING: 1, STALLED: 2}


def find_condition(conditions: Sequence[Condition], type_: str) -> Condition | None:
    """The condition of that type, if present."""
    return next((c for c in conditions if c.type == type_), None)


def is_true(conditions: Sequence[Condition], type_: str) -> bool:
    """Whether the condition is present and True."""
    c = find_condition(conditions, type_)
    return c is not None and c.status == ConditionStatus.TRUE


def summarize(
    conditions: Sequence[Condition],
    *,
    ready: bool | None,
    reconciling: bool,
    stalled: bool,
    reason: str,
    message: str,
    now: datetime,
    generation: int | None,
) -> list[Condition]:
    """Set Ready / Reconciling / Stalled together, consistently with kstatus.

    ``ready=None`` is Unknown. Stalled implies Ready=False and Reconciling=False.
    Reconciling and Stalled are left out (removed) when False, as kstatus expects abnormal-true conditions.
    """
    if stalled:
        ready, reconciling = False, False
    ready_status = ConditionStatus.UNKNOWN if ready is None else ConditionStatus(str(ready))
    out = set_condition(conditions, READY, ready_status, reason, message, now, generation)
    out = _toggle(out, RECONCILING, reconciling, reason, message, now, generation)
    return _toggle(out, STALLED, stalled, reason, message, now, generation)


def _toggle(
    conditions: list[Condition], type_: str, on: bool, reason: str, message: str,
    now: datetime, generation: int | None,
) -> list[Condition]:
    if on:
        return set_condition(conditions, type_, ConditionStatus.TRUE, reason, message, now, generation)
    return [c for c in conditions if c.type != type_]
