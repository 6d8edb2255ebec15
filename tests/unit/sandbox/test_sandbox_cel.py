"""CEL rules on updates: ratcheting of unchanged values, transition rules, list correlation, the result cache."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from modelyard.sandbox import cel
from modelyard.sandbox.errors import ApiError
from modelyard.sandbox.resources import ResourceInfo
from modelyard.sandbox.store import Store

MERGE = "application/merge-patch+json"


def rule(expr: str, message: str) -> dict[str, str]:
    return {"rule": expr, "message": message}


PORT = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
    "x-kubernetes-validations": [rule("self.port > 0", "port must be positive"),
                                 rule("self.port == oldSelf.port", "port is immutable")],
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "x-kubernetes-validations": [rule("self.min <= self.max", "min must not exceed max")],
            "properties": {
                "min": {"type": "integer"},
                "max": {"type": "integer"},
                "counter": {"type": "integer", "x-kubernetes-validations": [rule("self > oldSelf", "must grow")]},
                "tags": {"type": "array", "items": {
                    "type": "string", "x-kubernetes-validations": [rule("size(self) < 5", "tag too long")]}},
                "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                          "items": PORT},
            },
        },
        "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
    },
}


def obj(phase: str = "A", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "x"}, "spec": {"min": 1, "max": 2, **spec}, "status": {"phase": phase}}


def p(name: str, port: int) -> dict[str, Any]:
    return {"name": name, "port": port}


CASES = [
    # (id, new, old, expected messages)
    ("create: invalid value fails", obj(min=3, max=1), None, ["min must not exceed max"]),
    ("create: transition rules skipped", obj(counter=1), None, []),
    ("update: value made invalid fails", obj(min=3, max=1), obj(), ["min must not exceed max"]),
    ("update: invalid value changed, still invalid, fails", obj(min=4, max=1), obj(min=3, max=1),
     ["min must not exceed max"]),
    ("update: unchanged invalid value is ratcheted", obj("B", min=3, max=1), obj("A", min=3, max=1), []),
    ("update: unchanged invalid value, only metadata changed", {**obj(min=3, max=1), "metadata": {"name": "y"}},
     obj(min=3, max=1), []),
    ("update: transition rule runs on an unchanged value", obj("B", counter=1), obj("A", counter=1), ["must grow"]),
    ("update: transition rule passes on a change", obj(counter=2), obj(counter=1), []),
    ("update: items of an atomic list are never ratcheted", obj("B", tags=["toolong"]),
     obj("A", tags=["toolong"]), ["tag too long"]),
    ("update: map-list items correlate by key and ratchet", obj("B", ports=[p("b", 0), p("a", 0)]),
     obj("A", ports=[p("a", 0), p("b", 0)]), []),
    ("update: a changed map-list item fails its rules", obj(ports=[p("a", -1)]), obj(ports=[p("a", 0)]),
     ["port must be positive", "port is immutable"]),
    ("update: a new map-list item has no old value", obj(ports=[p("a", 0), p("c", -1)]), obj(ports=[p("a", 0)]),
     ["port must be positive"]),
]


@pytest.mark.parametrize(("new", "old", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_rules(new: Any, old: Any, expected: list[str]) -> None:
    causes = cel.check_rules(SCHEMA, new, old)
    assert [c["message"].rsplit(": ", 1)[1] for c in causes] == expected


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every CEL evaluation that reaches celpy (the result cache starts empty)."""
    seen: list[str] = []
    real = cel.evaluate

    def counting(expr: str, value: Any, old: Any = None) -> Any:
        seen.append(expr)
        return real(expr, value, old)

    monkeypatch.setattr(cel, "evaluate", counting)
    cel.RESULTS.clear()
    yield seen
    cel.RESULTS.clear()


def test_a_status_only_update_evaluates_no_spec_rule(evaluations: list[str]) -> None:
    old = obj(min=1, max=2, tags=["a"], ports=[p("a", 1)])
    schema = copy.deepcopy(SCHEMA)
    del schema["properties"]["spec"]["properties"]["tags"]  # atomic list items always run
    del schema["properties"]["spec"]["properties"]["ports"]["items"]["x-kubernetes-validations"][1]
    assert cel.check_rules(schema, {**old, "status": {"phase": "B"}}, old) == []
    assert evaluations == []


def test_results_are_cached_on_rule_and_values(evaluations: list[str]) -> None:
    for _ in range(3):
        assert cel.check_rules(SCHEMA, obj(min=3, max=1), None)
    assert evaluations == ["self.min <= self.max"]
    cel.check_rules(SCHEMA, obj(min=3, max=1.0), None)
    assert len(evaluations) == 2


def test_result_cache_is_bounded_lru(evaluations: list[str]) -> None:
    cache = cel._Results(2)
    for value in (1, 2, 1, 3, 1, 2):
        cache.evaluate("self > 1", value, None)
    assert len(evaluations) == 4  # 1, 2, (1 hit), 3 evicts 2, (1 hit), 2 again


SAME = [
    ({"a": [1, {"b": "c"}]}, {"a": [1, {"b": "c"}]}, True),
    (1, 1.0, False),
    (True, 1, False),
    ({"a": 1}, {"a": True}, False),
    ([1, 2], [2, 1], False),
]


@pytest.mark.parametrize(("a", "b", "expected"), SAME, ids=[repr(c[:2]) for c in SAME])
def test_same_is_strict_deep_equality(a: Any, b: Any, expected: bool) -> None:
    assert cel.same(a, b) is expected


def test_store_ratchets_a_rule_added_after_the_object(store: Store, widgets: ResourceInfo) -> None:
    store.create(widgets, "default", {"metadata": {"name": "w"}, "spec": {"image": "nginx", "size": 5}})
    assert widgets.schema is not None
    size = widgets.schema["properties"]["spec"]["properties"]["size"]
    size["x-kubernetes-validations"] = [rule("self <= 3", "size is at most 3 now")]
    store.patch(widgets, "default", "w", MERGE, {"status": {"phase": "Ready"}}, subresource="status")
    store.patch(widgets, "default", "w", MERGE, {"metadata": {"labels": {"a": "b"}}, "spec": {"mode": "Batch"}})
    with pytest.raises(ApiError) as err:
        store.patch(widgets, "default", "w", MERGE, {"spec": {"size": 6}})
    assert "spec.size: Invalid value: \"integer\": size is at most 3 now" in err.value.message
