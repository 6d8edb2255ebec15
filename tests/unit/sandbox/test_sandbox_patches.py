"""Patch semantics, table-driven."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from modelyard.sandbox import handlers, patches
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


DECODE_CASES = [
    # 1e3 tells the paths apart: JSON reads a number, YAML 1.1 (PyYAML) a string.
    ("apply JSON is read as JSON", patches.APPLY, b' {"spec": {"size": 2, "x": 1e3}}',
     {"spec": {"size": 2, "x": 1000.0}}),
    ("apply YAML block style", patches.APPLY, b"spec:\n  size: 2\n  x: 1e3\n", {"spec": {"size": 2, "x": "1e3"}}),
    ("apply YAML flow style, not JSON", patches.APPLY, b"{spec: {size: 2}}", {"spec": {"size": 2}}),
    ("apply JSON list", patches.APPLY, b"[1, 2]", [1, 2]),
    ("merge JSON", patches.MERGE, b'{"a": null}', {"a": None}),
    ("empty merge body", patches.MERGE, b"", None),
]


@pytest.mark.parametrize(("content_type", "body", "expected"), [c[1:] for c in DECODE_CASES],
                         ids=[c[0] for c in DECODE_CASES])
def test_decode_patch(content_type: str, body: bytes, expected: Any) -> None:
    assert patches.decode_patch(content_type, body) == expected


@pytest.mark.parametrize(("content_type", "body"), [(patches.MERGE, b"{nope"), (patches.APPLY, b"a: [1\n"),
                                                    (patches.MERGE, b"spec:\n  size: 2\n")])
def test_decode_patch_refuses_bad_bodies(content_type: str, body: bytes) -> None:
    with pytest.raises(ApiError) as err:
        patches.decode_patch(content_type, body)
    assert err.value.code == 400
    assert "error decoding patch" in err.value.message


def test_yaml_uses_libyaml_when_built_with_it() -> None:
    assert patches.YAML_LOADER is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)


def test_managed_fields_set() -> None:
    assert patches.managed_fields_set({"spec": {"a": 1, "l": [1]}, "kind": "X"}) == {
        "f:spec": {"f:a": {}, "f:l": {}}
    }


@pytest.mark.parametrize(("text", "expected"), [
    ('unknown field "spec.x"', 'unknown field \\"spec.x\\"'),
    ('unknown field "spec.a\nb"', 'unknown field \\"spec.a\\nb\\"'),
    ("tab\there, del\x7f, é", "tab\\there, del\\x7f, é"),
], ids=["quotes", "newline", "other controls"])
def test_warning_header_text(text: str, expected: str) -> None:
    assert handlers.header_text(text) == expected
