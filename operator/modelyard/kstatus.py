"""kstatus, ported: how Flux (`wait: true`, health checks) and kpt read an object's status (pure).

The rules of sigs.k8s.io/cli-utils ``pkg/kstatus/status`` (``checkGenericProperties`` and ``Compute``)
for a custom resource, in order, plus the Ready rule Flux applies to objects that carry a Ready condition:

1. ``metadata.deletionTimestamp`` set -> Terminating.
2. ``status.observedGeneration`` present and != ``metadata.generation`` -> InProgress.
3. The first of Reconciling=True -> InProgress, Stalled=True -> Failed, in the order of the conditions.
4. Ready=True -> Current; Ready False/Unknown -> InProgress.
5. No such condition -> Current (kstatus assumes a resource without conditions is done).

>>> compute({"metadata": {"generation": 2}, "status": {"observedGeneration": 1}})
('InProgress', 'generation is 2, but latest observed generation is 1')
>>> compute({"metadata": {}, "status": {"conditions": [{"type": "Stalled", "status": "True", "message": "no"}]}})
('Failed', 'no')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

IN_PROGRESS, FAILED, CURRENT, TERMINATING = "InProgress", "Failed", "Current", "Terminating"


def compute(obj: Mapping[str, Any]) -> tuple[str, str]:
    """(status, message) of a custom resource, as kstatus computes it."""
    meta, status = obj.get("metadata") or {}, obj.get("status") or {}
    if meta.get("deletionTimestamp"):
        return TERMINATING, "Resource scheduled for deletion"
    generation, observed = meta.get("generation"), status.get("observedGeneration")
    if generation is not None and observed is not None and observed != generation:
        return IN_PROGRESS, f"generation is {generation}, but latest observed generation is {observed}"
    conditions = status.get("conditions") or []
    for c in conditions:
        if c.get("type") == "Reconciling" and c.get("status") == "True":
            return IN_PROGRESS, c.get("message", "")
        if c.get("type") == "Stalled" and c.get("status") == "True":
            return FAILED, c.get("message", "")
    ready = next((c for c in conditions if c.get("type") == "Ready"), None)
    if ready is None:
        return CURRENT, "Resource is current"
    return (CURRENT if ready.get("status") == "True" else IN_PROGRESS), ready.get("message", "")
