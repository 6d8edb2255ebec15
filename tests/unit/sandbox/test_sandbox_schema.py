"""CRD schema handling: validation messages, defaults, pruning, fieldValidation, CEL rules."""

from __future__ import annotations

from typing import Any

import pytest

from modelyard.sandbox import cel
from modelyard.sandbox.errors import ApiError
from modelyard.sandbox.resources import ResourceInfo
from modelyard.sandbox.schema import apply_defaults, prune
from modelyard.sandbox.store import Store, WriteOptions
from modelyard.sandbox.validation import validate


def widget(name: str = "w", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.modelyard.io/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": {"image": "nginx", **spec},
    }


INVALID = [
    (
        "wrong type",
        {"size": "big"},
        "spec.size",
        'Invalid value: "string": spec.size in body must be of type integer: "string"',
    ),
    ("float for integer", {"size": 1.5}, "spec.size", "must be of type integer"),
    ("bool for number", {"ratio": True}, "spec.ratio", "must be of type number"),
    (
        "enum",
        {"mode": "Fast"},
        "spec.mode",
        'Unsupported value: "Fast": supported values: "Batch", "Online", "Burst"',
    ),
    (
        "minimum",
        {"size": 0},
        "spec.size",
        "Invalid value: 0: spec.size in body should be greater than or equal to 1",
    ),
    ("maximum", {"size": 11}, "spec.size", "should be less than or equal to 10"),
    ("exclusive maximum", {"ratio": 1}, "spec.ratio", "should be less than 1"),
    ("maxLength", {"image": "x" * 65}, "spec.image", "Too long: may not be more than 64 bytes"),
    ("minLength", {"image": ""}, "spec.image", "should be at least 1 chars long"),
    ("pattern", {"image": "UPPER"}, "spec.image", "in body should match '^[a-z0-9./:-]+$'"),
    (
        "maxItems",
        {"tags": list("abcdef"), "mode": "Batch"},
        "spec.tags",
        "Too many: 6: must have at most 5 items",
    ),
    ("item maxLength", {"tags": ["x" * 17]}, "spec.tags[0]", "Too long"),
    ("set duplicates", {"tags": ["a", "a"]}, "spec.tags[1]", 'Duplicate value: "a"'),
    ("minItems", {"endpoints": []}, "spec.endpoints", "should have at least 1 items"),
    ("required in items", {"endpoints": [{"weight": 1}]}, "spec.endpoints[0].name", "Required value"),
    ("date-time", {"deadline": "tomorrow"}, "spec.deadline", "must be of type date-time"),
    ("int-or-string", {"port": 1.5}, "spec.port", "must be of type integer or string"),
    ("map values", {"limits": {"cpu": True}}, "spec.limits[cpu]", "must be of type integer or string"),
    (
        "cel comparison",
        {"minReplicas": 5, "maxReplicas": 2},
        "spec",
        'Invalid value: "object": minReplicas must not exceed maxReplicas',
    ),
    ("cel has", {"mode": "Burst"}, "spec", "burstLimit is required when mode is Burst"),
    ("cel size and in", {"tags": list("abcd")}, "spec", "more than 3 tags need mode Batch or Burst"),
]


@pytest.mark.parametrize(("spec", "field", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_widget_is_422_naming_the_field(
    store: Store, widgets: ResourceInfo, spec: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ApiError) as err:
        store.create(widgets, "default", widget(**spec))
    assert err.value.code == 422
    assert err.value.reason == "Invalid"
    causes = err.value.details["causes"]  # type: ignore[index]
    assert any(c["field"] == field and message in c["message"] for c in causes), causes
    assert err.value.message.startswith('Widget.example.modelyard.io "w" is invalid: ')


def test_missing_required_field(store: Store, widgets: ResourceInfo) -> None:
    body = widget()
    del body["spec"]["image"]
    with pytest.raises(ApiError) as err:
        store.create(widgets, "default", body)
    assert err.value.message == 'Widget.example.modelyard.io "w" is invalid: spec.image: Required value'


VALID = [
    ("int for number", {"ratio": 0}),
    ("string port", {"port": "http"}),
    ("int port", {"port": 80}),
    ("nullable null", {"note": None}),
    ("preserved template", {"template": {"any": {"thing": [1]}}}),
    ("date-time", {"deadline": "2025-01-01T00:00:00Z"}),
    ("burst with limit", {"mode": "Burst", "burstLimit": 2}),
    ("many tags in batch", {"tags": list("abcd"), "mode": "Batch"}),
]


@pytest.mark.parametrize("spec", [c[1] for c in VALID], ids=[c[0] for c in VALID])
def test_valid_widget(store: Store, widgets: ResourceInfo, spec: dict[str, Any]) -> None:
    store.create(widgets, "default", widget(**spec))


def test_defaults_are_applied_nested(store: Store, widgets: ResourceInfo) -> None:
    obj = store.create(widgets, "default", widget(endpoints=[{"name": "a"}])).obj
    spec = obj["spec"]
    assert (spec["size"], spec["mode"], spec["minReplicas"], spec["maxReplicas"]) == (1, "Online", 1, 3)
    assert spec["options"] == {"retries": 3, "verbose": False}
    assert spec["endpoints"] == [{"name": "a", "weight": 100}]
    assert "template" not in spec


def test_non_nullable_null_is_dropped_then_defaulted(store: Store, widgets: ResourceInfo) -> None:
    assert store.create(widgets, "default", widget(size=None)).obj["spec"]["size"] == 1


@pytest.mark.parametrize(
    ("mode", "outcome"), [("Warn", "warned"), ("Ignore", "silent"), ("Strict", "refused")]
)
def test_unknown_fields_by_field_validation(
    store: Store, widgets: ResourceInfo, mode: str, outcome: str
) -> None:
    body = widget(bogus=1)
    body["extra"] = True
    opts = WriteOptions(field_validation=mode)
    if outcome == "refused":
        with pytest.raises(ApiError) as err:
            store.create(widgets, "default", body, opts)
        assert err.value.code == 400
        assert 'unknown field "spec.bogus"' in err.value.message
        return
    result = store.create(widgets, "default", body, opts)
    assert "bogus" not in result.obj["spec"]
    assert "extra" not in result.obj
    expected = ['unknown field "spec.bogus"', 'unknown field "extra"'] if outcome == "warned" else []
    assert sorted(result.warnings) == sorted(expected)


def test_transition_rule_on_update_only(store: Store, widgets: ResourceInfo) -> None:
    store.create(widgets, "default", widget())
    with pytest.raises(ApiError) as err:
        store.patch(widgets, "default", "w", "application/merge-patch+json", {"spec": {"image": "other"}})
    assert 'spec.image: Invalid value: "string": image is immutable' in err.value.message
    store.patch(widgets, "default", "w", "application/merge-patch+json", {"spec": {"size": 4}})


def test_status_writes_are_validated(store: Store, widgets: ResourceInfo) -> None:
    store.create(widgets, "default", widget())
    with pytest.raises(ApiError) as err:
        store.patch(
            widgets,
            "default",
            "w",
            "application/merge-patch+json",
            {"status": {"phase": "Weird"}},
            subresource="status",
        )
    assert err.value.details["causes"][0]["field"] == "status.phase"  # type: ignore[index]


def test_prune_and_defaults_on_plain_schemas() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "object", "properties": {"b": {"type": "integer", "default": 5}}}},
    }
    value: dict[str, Any] = {"a": {"c": 1}, "z": 2, "metadata": {"name": "x", "junk": 1}}
    assert sorted(prune(schema, value)) == ["a.c", "metadata.junk", "z"]
    apply_defaults(schema, value)
    assert value == {"a": {"b": 5}, "metadata": {"name": "x"}}
    assert validate({"type": "integer", "nullable": True}, None) == []


CEL_CASES = [
    ("self == oldSelf", {"a": 1}, {"a": 1}, True),
    ("self == oldSelf", {"a": 1}, {"a": 2}, False),
    ("has(self.x) && size(self.x) > 2", {"x": "abcd"}, None, True),
    ("!has(self.y) || self.y in ['a', 'b']", {"y": "c"}, None, False),
    ("self.n >= 0 && self.n < 10", {"n": 3}, None, True),
    ("self.a.b > 1", {}, None, None),
    ("this is not cel (", {}, None, None),
]


@pytest.mark.parametrize(
    ("expr", "value", "old", "expected"), CEL_CASES, ids=[f"{c[0]}-{c[3]}" for c in CEL_CASES]
)
def test_cel_evaluate(expr: str, value: Any, old: Any, expected: bool | None) -> None:
    result = cel.evaluate(expr, value, old)
    assert (None if result is None else bool(result)) is expected
