"""Patch semantics, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from modelyard.sandbox import patches
from modelyard.sandbox.errors import ApiError

MERGE_CASES = [
    ("replace scalar", {"a": 1}, {"a": 2}, {"a": 2}),
    ("add key", {"a": 1}, {"b": 2}, {"a": 1, "b": 2}),
    ("null deletes", {"a": 1, "b": 2}, {"a": None}, {"b": 2}),
    ("nested merge", {"a": {"x": 1, "y": 2}}, {"a": {"y": 3}}, {"a": {"x": 1, "y": 3}}),
    ("lists replace", {"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
    ("object replaces scalar", {"a": 1}, {"a": {"b": 1}}, {"a": {"b": 1}}),
    ("null for missing key", {"a": 1}, {"z": None}, {"a": 1}),
]


@pytest.mark.parametrize(
    ("target", "patch", "expected"), [c[1:] for c in MERGE_CASES], ids=[c[0] for c in MERGE_CASES]
)
def test_merge_patch_rfc7386(target: Any, patch: Any, expected: Any) -> None:
    assert patches.merge_patch(target, patch) == expected


def test_merge_patch_does_not_mutate_target() -> None:
    target = {"a": {"b": 1}}
    patches.merge_patch(target, {"a": {"b": 2}})
    assert target == {"a": {"b": 1}}


def test_json_patch() -> None:
    target = {"spec": {"tags": ["a"]}}
    ops = [
        {"op": "add", "path": "/spec/tags/-", "value": "b"},
        {"op": "replace", "path": "/spec/x", "value": 1},
    ]
    with pytest.raises(ApiError) as err:
        patches.apply_patch(patches.JSON_PATCH, target, ops)
    assert err.value.code == 422
    ops[1]["op"] = "add"
    assert patches.apply_patch(patches.JSON_PATCH, target, ops) == {"spec": {"tags": ["a", "b"], "x": 1}}


def test_json_patch_test_op_failure_is_422() -> None:
    with pytest.raises(ApiError) as err:
        patches.json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": 2}])
    assert err.value.code == 422


POD = {
    "spec": {
        "containers": [
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
            {"name": "b", "image": "b:1"},
        ]
    }
}

SMP_CASES = [
    (
        "merge container by name",
        {"spec": {"containers": [{"name": "b", "image": "b:2"}]}},
        [{"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]}, {"name": "b", "image": "b:2"}],
    ),
    (
        "append new container",
        {"spec": {"containers": [{"name": "c", "image": "c:1"}]}},
        [*POD["spec"]["containers"], {"name": "c", "image": "c:1"}],
    ),
    (
        "delete directive",
        {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}},
        [{"name": "b", "image": "b:1"}],
    ),
    (
        "nested env merge",
        {
            "spec": {
                "containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]}],
                "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            }
        },
        [
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]},
            {"name": "b", "image": "b:1"},
        ],
    ),
]


@pytest.mark.parametrize(("patch", "containers"), [c[1:] for c in SMP_CASES], ids=[c[0] for c in SMP_CASES])
def test_strategic_merge_patch(patch: Any, containers: Any) -> None:
    assert patches.strategic_merge_patch(POD, patch)["spec"]["containers"] == containers


def test_strategic_replace_directive_and_primitive_delete() -> None:
    target = {"spec": {"a": {"x": 1, "y": 2}, "finalizers": ["f1", "f2"]}}
    patch = {"spec": {"a": {"$patch": "replace", "z": 3}, "$deleteFromPrimitiveList/finalizers": ["f1"]}}
    assert patches.strategic_merge_patch(target, patch) == {"spec": {"a": {"z": 3}, "finalizers": ["f2"]}}


def test_decode_apply_patch_yaml_and_bad_json() -> None:
    assert patches.decode_patch(patches.APPLY, b"spec:\n  size: 2\n") == {"spec": {"size": 2}}
    with pytest.raises(ApiError) as err:
        patches.decode_patch(patches.MERGE, b"{nope")
    assert err.value.code == 400


def test_managed_fields_set() -> None:
    assert patches.managed_fields_set({"spec": {"a": 1, "l": [1]}, "kind": "X"}) == {
        "f:spec": {"f:a": {}, "f:l": {}}
    }
