"""The first honest status for any kind: observedGeneration, Ready=Unknown, Reconciling=True."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelyard.api.common import Resource
from modelyard.controller.common import parse, parse_status, status_patch
from modelyard.core.first_status import calculate_initial_conditions, calculate_invalid_conditions


def calculate_first_status(kind: type[Resource], body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The status patch of an object seen for the first time (or with a spec that does not parse)."""
    generation = body.get("metadata", {}).get("generation")
    obj, problem = parse(kind, body)
    status = obj.status if obj is not None else parse_status(kind, body)  # type: ignore[attr-defined]
    if problem is not None:
        status.conditions = calculate_invalid_conditions(status.conditions, generation, problem, now)
    else:
        status.conditions = calculate_initial_conditions(status.conditions, generation, now)
    status.observed_generation = generation
    return status_patch(body, status.to_wire())
