"""decide_modelversion: the status of one registry record, from its spec, its siblings and its consumers.

Precedence of the phase (first match wins):

============================  =========  ===========================================
situation                     phase      conditions
============================  =========  ===========================================
spec the schema let through   Pending    Stalled InvalidSpec, Ready=False
but the model refuses
an earlier ModelVersion has   Pending    Stalled DuplicateVersion, Ready=False
the same model and version
retired before (sticky)       Retired    Stalled Retired, Ready=False
served (stable or canary)     Ready      Ready=True, reason Serving
rejected by an                Rejected   Stalled Rejected, Ready=False
InferenceService, not served
retention retires it          Retired    Stalled Retired, Ready=False
otherwise                     Ready      Ready=True, reason Registered
============================  =========  ===========================================
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from modelyard.api.common import ConditionStatus
from modelyard.api.modelversion import (
    PROTECTION_FINALIZER,
    ModelPhase,
    ModelVersionSpec,
    ModelVersionStatus,
)
from modelyard.core.actions import Action, Decision, EmitEvent, Patch
from modelyard.core.conditions import find_condition, is_true, set_condition, summarize
from modelyard.core.registry import VersionRecord, find_original, should_retire
from modelyard.core.registry_status import (
    calculate_artifact_verified,
    calculate_headline_metric,
    calculate_served_by,
    calculate_served_by_summary,
    merge_rejections,
)
from modelyard.core.registry_usage import Usage, holders

DELETION_BLOCKED = "DeletionBlocked"
#: kopf's own finalizer (``settings.persistence.finalizer``, set in handlers/startup.py).
KOPF_FINALIZER = "modelyard.io/finalizer"


@dataclass(frozen=True)
class ModelVersionObserved:
    """What the controller read about one ModelVersion (all from kopf's indexes, no API call)."""

    record: VersionRecord | None  # this version as the index sees it; None when its spec is unreadable
    siblings: tuple[VersionRecord, ...] = ()  # every version of the same model in the namespace
    usages: tuple[Usage, ...] = ()  # what each InferenceService naming it does with it


@dataclass(frozen=True)
class State:
    """The phase and how the Ready / Stalled conditions explain it."""

    phase: ModelPhase
    reason: str
    message: str
    stalled: bool = False


def assess_state(
    spec: ModelVersionSpec | None, problem: str | None, old_phase: str | None,
    status: ModelVersionStatus, observed: ModelVersionObserved,
) -> State:
    """The phase by the precedence in the module docstring."""
    record = observed.record
    if spec is None or record is None:
        return State(ModelPhase.PENDING, "InvalidSpec", problem or "the spec cannot be read", stalled=True)
    original = find_original(record, observed.siblings)
    if original is not None:
        return State(ModelPhase.PENDING, "DuplicateVersion", _duplicate_message(spec, original), stalled=True)
    if old_phase == ModelPhase.RETIRED:
        return _retired()
    if status.served_by:
        return State(ModelPhase.READY, "Serving", f"Served by {status.served_by_summary}.")
    if status.rejections:
        return State(ModelPhase.REJECTED, "Rejected", _rejected_message(status), stalled=True)
    if should_retire(record, observed.siblings, protected=any(u.holds for u in observed.usages)):
        return _retired()
    return State(ModelPhase.READY, "Registered", "Registered; not served by any InferenceService.")


def _duplicate_message(spec: ModelVersionSpec, original: VersionRecord) -> str:
    return (f"model {spec.model} version {spec.version} is already registered by ModelVersion "
            f"{original.name}; a new model needs a new version")


def _rejected_message(status: ModelVersionStatus) -> str:
    last = status.rejections[-1]
    return f"Rejected by {last.inference_service} ({last.reason}){': ' + last.message if last.message else ''}."


def _retired() -> State:
    return State(ModelPhase.RETIRED, "Retired",
                 "Retired by the model's retention policy; the artifact is kept.", stalled=True)


def decide_modelversion(
    meta: Mapping[str, Any], spec: ModelVersionSpec | None, problem: str | None,
    old: ModelVersionStatus, observed: ModelVersionObserved, now: datetime,
) -> Decision:
    """The new status of a ModelVersion and the actions (finalizer, Events) that go with it."""
    generation = meta.get("generation")
    new = calculate_consumers(old, spec, meta, observed, now)
    state = assess_state(spec, problem, old.phase, new, observed)
    new.phase, new.message = state.phase, state.message
    new.conditions = summarize(
        new.conditions, ready=not state.stalled, reconciling=False, stalled=state.stalled,
        reason=state.reason, message=state.message, now=now, generation=generation,
    )
    new.conditions = calculate_artifact_verified(new.conditions, spec, observed.usages, now, generation)
    new.observed_generation = generation
    actions = calculate_events(old, new, state)
    new, protection = decide_protection(meta, new, now)
    return Decision(status=new.to_wire(), actions=calculate_event_keys([*protection, *actions], meta, old))


def calculate_event_keys(actions: Sequence[Action], meta: Mapping[str, Any], old: ModelVersionStatus) -> list[Action]:
    """Key each Event by the object's uid, the status it was decided from, its reason and message.

    Two writers (a ModelVersion handler and the nudge of an InferenceService change) may decide the same
    transition from the same status at once; with the same key, the Event is posted once. A later
    transition starts from a different status, so it gets a new key.
    """
    origin = json.dumps([meta.get("uid", ""), old.to_wire()], sort_keys=True)
    return [replace(a, key=_short_hash(origin, a.reason, a.message)) if isinstance(a, EmitEvent) else a
            for a in actions]


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:20]


def calculate_consumers(
    old: ModelVersionStatus, spec: ModelVersionSpec | None, meta: Mapping[str, Any],
    observed: ModelVersionObserved, now: datetime,
) -> ModelVersionStatus:
    """A copy of ``old`` with servedBy, heldBy, rejections and the printer fields brought up to date."""
    new = old.model_copy(deep=True)
    new.served_by = calculate_served_by(observed.usages)
    new.served_by_summary = calculate_served_by_summary(new.served_by)
    new.held_by = holders(observed.usages)
    new.rejections = merge_rejections(old.rejections, observed.usages, now)
    new.headline_metric = calculate_headline_metric(spec, meta.get("annotations") or {})
    return new


def calculate_events(old: ModelVersionStatus, new: ModelVersionStatus, state: State) -> list[Action]:
    """Events for the transitions a user cares about: phase or reason, new rejections, verification."""
    events: list[Action] = []
    old_ready = find_condition(old.conditions, "Ready")
    if old.phase != new.phase or old_ready is None or old_ready.reason != state.reason:
        events.append(EmitEvent("Warning" if state.stalled else "Normal", state.reason, state.message))
    for r in new.rejections[len(_common_prefix(old.rejections, new.rejections)):]:
        events.append(EmitEvent("Warning", "RejectedBy", f"{r.inference_service}: {r.reason} {r.message}".strip()))
    if is_true(new.conditions, "ArtifactVerified") and not is_true(old.conditions, "ArtifactVerified"):
        cond = find_condition(new.conditions, "ArtifactVerified")
        events.append(EmitEvent("Normal", "ArtifactVerified", cond.message if cond else ""))
    return events


def _common_prefix(a: Sequence[Any], b: Sequence[Any]) -> list[Any]:
    out = []
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        out.append(x)
    return out


def decide_protection(
    meta: Mapping[str, Any], status: ModelVersionStatus, now: datetime
) -> tuple[ModelVersionStatus, list[Action]]:
    """While deleting, hold (and say why) or release the protection finalizer.

    Adding it is not an action here: the controller adds it before it writes the status
    (``calculate_protection_patch``)."""
    finalizers = [f for f in meta.get("finalizers") or [] if isinstance(f, str)]
    blocked_before = is_true(status.conditions, DELETION_BLOCKED)
    status.conditions = [c for c in status.conditions if c.type != DELETION_BLOCKED]
    if not meta.get("deletionTimestamp") or PROTECTION_FINALIZER not in finalizers:
        return status, []
    if not status.held_by:
        rest = [f for f in finalizers if f != PROTECTION_FINALIZER]
        return status, [EmitEvent("Normal", "DeletionReleased", "Nothing depends on it any more; deleting."),
                        _finalizers(meta, rest)]
    message = f"Deletion waits for InferenceServices that serve it or may roll back to it: {', '.join(status.held_by)}"
    status.conditions = set_condition(status.conditions, DELETION_BLOCKED, ConditionStatus.TRUE, "InUse", message,
                                      now, meta.get("generation"))
    status.message = message
    return status, [] if blocked_before else [EmitEvent("Warning", DELETION_BLOCKED, message)]


def _finalizers(meta: Mapping[str, Any], finalizers: list[str]) -> Patch:
    # With the precondition: fail with 409 rather than drop someone's finalizer.
    return Patch("modelyard.io/v1alpha1", "ModelVersion", meta.get("namespace", ""), meta.get("name", ""),
                 {"metadata": {"finalizers": finalizers, **_precondition(meta)}})


def releases(decision: Decision) -> bool:
    """Whether the decision removes the protection finalizer (the object is about to go: skip its status)."""
    return any(isinstance(a, Patch) and PROTECTION_FINALIZER not in a.patch.get("metadata", {}).get("finalizers", [])
               and "finalizers" in a.patch.get("metadata", {}) for a in decision.actions)


def should_add_protection(meta: Mapping[str, Any]) -> bool:
    """Whether the protection finalizer is still to be added (never to an object being deleted)."""
    return not meta.get("deletionTimestamp") and PROTECTION_FINALIZER not in (meta.get("finalizers") or [])


def calculate_protection_patch(meta: Mapping[str, Any]) -> dict[str, Any] | None:
    """The merge patch that adds the protection finalizer; None when it is there, the object is going, or
    kopf has not taken the object in yet (``should_wait_for_kopf``).

    A merge patch replaces the whole list, so it names every finalizer the object carries (kopf's own
    included) and the resourceVersion they were read at: a list changed meanwhile (kopf releasing its
    finalizer, a user) makes the API refuse it with 409 instead of dropping an entry.

    >>> calculate_protection_patch({"resourceVersion": "7", "finalizers": [KOPF_FINALIZER]})
    {'metadata': {'finalizers': ['modelyard.io/finalizer', 'modelyard.io/protection'], 'resourceVersion': '7'}}
    """
    if not should_add_protection(meta) or should_wait_for_kopf(meta):
        return None
    finalizers = [f for f in meta.get("finalizers") or [] if isinstance(f, str)]
    return {"metadata": {"finalizers": [*finalizers, PROTECTION_FINALIZER], **_precondition(meta)}}


def should_wait_for_kopf(meta: Mapping[str, Any]) -> bool:
    """Whether kopf has yet to take the object in: its own finalizer is absent and the object is not going.

    kopf adds its finalizer before it runs any change handler, with a JSON patch that tests the
    resourceVersion; its timers start at once, without it. A write of ours in between would make kopf's
    patch fail (422) or fail itself (409), so the timer and the protection leave such an object alone:
    the change handler, which kopf runs once its finalizer is in, decides first.
    """
    return not meta.get("deletionTimestamp") and KOPF_FINALIZER not in (meta.get("finalizers") or [])


def calculate_status_write(meta: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """The status merge patch with the resourceVersion it was decided from: a decision on a body that
    changed meanwhile (or a late retry of it) is refused with 409, never sets an older status back."""
    return {"metadata": _precondition(meta), "status": dict(patch)}


def _precondition(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {"resourceVersion": meta["resourceVersion"]} if meta.get("resourceVersion") else {}


def is_settled(body: Mapping[str, Any]) -> bool:
    """Nothing left for the resync timer: a status decided for this generation (any phase), protected,
    not being deleted.

    The spec is immutable, and nothing in the decision depends on the clock: what can still change a
    settled version's status comes from elsewhere and nudges it. An InferenceService change nudges the
    versions it names or named (``nudge_modelversions``); a version added or deleted nudges its siblings
    whose retention or duplicate status it may change (``nudge_siblings``); an annotation change (the
    headline metric) is an update event of its own.
    """
    meta, status = body.get("metadata") or {}, body.get("status") or {}
    return (bool(status.get("phase")) and status.get("observedGeneration") == meta.get("generation")
            and not should_add_protection(meta) and not meta.get("deletionTimestamp"))
