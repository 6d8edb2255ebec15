"""Compare before apply: derivative equality, the applied hash, and when a write is skipped."""

from __future__ import annotations

from typing import Any

import pytest

from modelyard.core.derivative import (
    ANNOTATION_APPLIED_HASH,
    calculate_applied_hash,
    is_derivative,
    should_apply,
    stamp_applied_hash,
)

DESIRED = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "labels": {"a": "1"}},
           "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}}}


def live_of(desired: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """What an API server hands back: ours, plus defaults and status."""
    live = stamp_applied_hash(desired)
    live = {**live, "status": {"readyReplicas": 2}, **extra}
    live["metadata"] = {**live["metadata"], "uid": "u", "resourceVersion": "7"}
    spec = dict(live["spec"])
    spec["template"] = {"spec": {"containers": [{"name": "c", "image": "x:1", "imagePullPolicy": "IfNotPresent"}],
                                 "restartPolicy": "Always"}}
    live["spec"] = {**spec, "revisionHistoryLimit": 10}
    return live


@pytest.mark.parametrize(("desired", "live", "expected"), [
    ({"a": 1}, {"a": 1, "b": 2}, True),
    ({"a": 1}, {"a": 2}, False),
    ({"a": 1}, {}, False),
    ({"a": None}, {}, True),
    ({"a": None}, {"a": 3}, False),
    ({"a": [1, 2]}, {"a": [1, 2]}, True),
    ({"a": [1, 2]}, {"a": [1, 2, 3]}, False),
    ({"a": [{"x": 1}]}, {"a": [{"x": 1, "y": 2}]}, True),
    ({"a": 1}, {"a": 1.0}, True),
    ({"a": True}, {"a": 1}, False),
    ({"a": "1"}, {"a": 1}, False),
    ({"a": {"b": 1}}, {"a": "x"}, False),
], ids=["extra-live-keys", "changed", "missing", "none-absent", "none-set", "list", "list-length", "list-of-dicts",
        "int-float", "bool-int", "str-int", "dict-vs-str"])
def test_is_derivative(desired: Any, live: Any, expected: bool) -> None:
    assert is_derivative(desired, live) is expected


def test_hash_ignores_its_own_annotation_and_changes_with_the_manifest() -> None:
    stamped = stamp_applied_hash(DESIRED)
    assert calculate_applied_hash(stamped) == calculate_applied_hash(DESIRED)
    assert stamped["metadata"]["annotations"][ANNOTATION_APPLIED_HASH] == calculate_applied_hash(DESIRED)
    assert "annotations" not in DESIRED["metadata"], "the input is not changed"
    other = {**DESIRED, "spec": {**DESIRED["spec"], "replicas": 3}}
    assert calculate_applied_hash(other) != calculate_applied_hash(DESIRED)


def test_apply_is_skipped_only_when_live_is_what_we_applied() -> None:
    desired = stamp_applied_hash(DESIRED)
    assert should_apply(desired, None), "absent: create"
    assert not should_apply(desired, live_of(DESIRED)), "same manifest, server defaults and status ignored"
    scaled = live_of(DESIRED)
    scaled["spec"]["replicas"] = 5
    assert should_apply(desired, scaled), "drift: someone scaled it"
    dropped_label = stamp_applied_hash({**DESIRED, "metadata": {"name": "d"}})
    assert is_derivative({"metadata": {"name": "d"}, "spec": dropped_label["spec"]}, live_of(DESIRED)), \
        "a dropped field still reads as derivative..."
    assert should_apply(dropped_label, live_of(DESIRED)), "...but the hash differs: apply removes it"
    unstamped = live_of(DESIRED)
    del unstamped["metadata"]["annotations"]
    assert should_apply(desired, unstamped), "applied by an older operator or by hand: apply once"
