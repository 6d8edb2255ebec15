"""Our three kinds in each state that matters, with the status the operator's own condition helpers
write, and what Argo CD (health.lua) and Flux (kstatus) must make of it. One table, two readers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelyard.api.common import Condition, ConditionStatus
from modelyard.core.conditions import set_condition, summarize

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    body: dict[str, Any]
    health: str  # Argo CD: Healthy / Progressing / Degraded / Suspended
    kstatus: str  # Current / InProgress / Failed / Terminating
    message: str = ""  # a word the Argo CD message must contain


def conditions(*, ready: bool | None, reconciling: bool = False, stalled: bool = False, reason: str = "Reconciling",
               message: str = "", extra: tuple[tuple[str, str, str], ...] = ()) -> list[dict[str, Any]]:
    """The wire form of what ``core.conditions.summarize`` (plus extra conditions) writes."""
    out: list[Condition] = summarize([], ready=ready, reconciling=reconciling, stalled=stalled, reason=reason,
                                     message=message, now=NOW, generation=1)
    for type_, status, why in extra:
        out = set_condition(out, type_, ConditionStatus(status), why, message, NOW, 1)
    return [c.to_wire() for c in out]


def body(kind: str, status: dict[str, Any] | None, *, generation: int = 1, spec: dict[str, Any] | None = None,
         deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "x", "namespace": "ml", "generation": generation}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    doc = {"apiVersion": "modelyard.io/v1alpha1", "kind": kind, "metadata": meta, "spec": spec or {}}
    if status is not None:
        doc["status"] = status
    return doc


def status(phase: str | None, conds: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"observedGeneration": 1, "conditions": conds, **({"phase": phase} if phase else {}), **extra}


TJ, MV, IS = "TrainingJob", "ModelVersion", "InferenceService"
WORKING = conditions(ready=None, reconciling=True, message="training")
ROLLED_BACK = conditions(ready=False, stalled=True, reason="RolledBack",
                         message="v2 rolled back: errorRate 0.2 > 0.05; serving v1")

CASES = [
    # Not yet seen by the operator: upstream kstatus calls an object without status Current (a known gap,
    # docs/gitops.md); Argo CD waits. Seen at an older generation: nobody may call it done.
    Case("tj-new", TJ, body(TJ, None), "Progressing", "Current"),
    Case("tj-old-generation", TJ, body(TJ, status("Succeeded", conditions(ready=True)), generation=2),
         "Progressing", "InProgress", "generation 2"),
    Case("tj-first-status", TJ, body(TJ, status(None, conditions(ready=None, reconciling=True))),
         "Progressing", "InProgress"),
    Case("tj-running", TJ, body(TJ, status("Running", WORKING)), "Progressing", "InProgress", "training"),
    Case("tj-succeeded", TJ, body(TJ, status("Succeeded", conditions(
        ready=True, reason="Succeeded", message="registered iris-v1", extra=(("Succeeded", "True", "Succeeded"),)))),
         "Healthy", "Current", "registered"),
    Case("tj-failed", TJ, body(TJ, status("Failed", conditions(
        ready=False, stalled=True, reason="BackoffLimitExceeded", message="3 attempts failed",
        extra=(("Failed", "True", "BackoffLimitExceeded"),)))), "Degraded", "Failed", "BackoffLimitExceeded"),
    Case("tj-deadline", TJ, body(TJ, status("Failed", conditions(
        ready=False, stalled=True, reason="DeadlineExceeded", message="ran 3600s"))),
         "Degraded", "Failed", "DeadlineExceeded"),
    Case("tj-invalid", TJ, body(TJ, status(None, conditions(
        ready=False, stalled=True, reason="InvalidSpec", message="spec.output.uri: unsupported scheme"))),
         "Degraded", "Failed", "spec.output.uri"),
    Case("tj-suspended", TJ, body(TJ, status("Suspended", conditions(ready=False, reason="Suspended")),
                                  spec={"suspend": True}), "Suspended", "InProgress"),
    Case("tj-deleting", TJ, body(TJ, status("Running", WORKING), deleting=True), "Progressing", "Terminating"),
    # ModelVersion: verifying the artifact, then Ready; a bad artifact is Stalled.
    Case("mv-verifying", MV, body(MV, status("Pending", conditions(ready=None, reconciling=True, reason="Verifying"))),
         "Progressing", "InProgress"),
    Case("mv-ready", MV, body(MV, status("Ready", conditions(ready=True, reason="Ready", message="sha256 ok"))),
         "Healthy", "Current"),
    Case("mv-retired", MV, body(MV, status("Retired", conditions(ready=True, reason="Retired", message="keepLast 3"))),
         "Healthy", "Current", "Retired"),
    Case("mv-bad-digest", MV, body(MV, status("Pending", conditions(
        ready=False, stalled=True, reason="DigestMismatch", message="artifact digest differs"))),
         "Degraded", "Failed", "DigestMismatch"),
    # InferenceService: rolling out, paused, healthy, rolled back (GitOps: Git says v2, cluster serves v1).
    Case("is-canary", IS, body(IS, status("Progressing", conditions(
        ready=True, reconciling=True, reason="CanaryProgressing", message="v2 at 20%"), canaryWeight=20)),
         "Progressing", "InProgress", "20%"),
    Case("is-paused", IS, body(IS, status("Paused", conditions(ready=True, reason="Paused"), canaryWeight=50),
                               spec={"rollout": {"paused": True}}), "Suspended", "Current", "50%"),
    Case("is-healthy", IS, body(IS, status("Healthy", conditions(ready=True, reason="Serving", message="v2 at 100%"))),
         "Healthy", "Current", "v2"),
    Case("is-rolled-back", IS, body(IS, status("Degraded", ROLLED_BACK, rejected=["v2"],
                                               stable={"modelVersion": "v1"})),
         "Degraded", "Failed", "RolledBack"),
    Case("is-rolled-back-new-spec", IS, body(IS, status("Degraded", ROLLED_BACK), generation=2),
         "Progressing", "InProgress"),
    Case("is-not-ready", IS, body(IS, status("Degraded", conditions(ready=False, reason="PodsNotReady"))),
         "Degraded", "InProgress", "PodsNotReady"),
]
