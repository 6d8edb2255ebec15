"""Event keys: two writers deciding the same transition from the same status post one Event."""

from __future__ import annotations

import pytest

from modelyard.api.modelversion import ModelVersionStatus
from modelyard.core.actions import Action, EmitEvent, Patch
from modelyard.core.modelversion import calculate_event_keys

REGISTERED = EmitEvent("Normal", "Registered", "Registered; not served by any InferenceService.")
SERVING = EmitEvent("Normal", "Serving", "Served by web (stable).")
FINALIZER = Patch("modelyard.io/v1alpha1", "ModelVersion", "ns", "iris-v1", {"metadata": {"finalizers": []}})
EMPTY = ModelVersionStatus()
READY = ModelVersionStatus(phase="Ready")


def keys(actions: list[Action], uid: str = "u1", old: ModelVersionStatus = EMPTY) -> list[str]:
    return [a.key for a in calculate_event_keys(actions, {"uid": uid}, old) if isinstance(a, EmitEvent)]


@pytest.mark.parametrize(("a", "b", "same"), [
    ((REGISTERED, "u1", EMPTY), (REGISTERED, "u1", EMPTY), True),  # racing writers: one Event
    ((REGISTERED, "u1", EMPTY), (REGISTERED, "u2", EMPTY), False),  # a re-created namesake: its own Event
    ((SERVING, "u1", EMPTY), (SERVING, "u1", READY), False),  # a later transition starts elsewhere
    ((REGISTERED, "u1", EMPTY), (SERVING, "u1", EMPTY), False),  # two Events of one decision
], ids=["same-transition", "other-uid", "other-origin", "other-event"])
def test_keys(a: tuple[EmitEvent, str, ModelVersionStatus], b: tuple[EmitEvent, str, ModelVersionStatus],
              same: bool) -> None:
    ka, kb = keys([a[0]], a[1], a[2]), keys([b[0]], b[1], b[2])
    assert (ka == kb) is same
    assert all(len(k) == 20 for k in ka + kb)


def test_other_actions_are_left_alone() -> None:
    assert calculate_event_keys([FINALIZER, REGISTERED], {"uid": "u1"}, EMPTY)[0] == FINALIZER
