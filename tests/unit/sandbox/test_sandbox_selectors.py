"""Label and field selectors, table-driven."""

from __future__ import annotations

import pytest

from modelyard.sandbox.errors import ApiError
from modelyard.sandbox.selectors import compile_selectors, match_label_selector

OBJ = {
    "metadata": {"name": "a", "namespace": "ns1", "labels": {"app": "web", "tier": "front"}},
    "status": {"phase": "Running"},
}

LABEL_CASES = [
    ("", True),
    ("app=web", True),
    ("app==web", True),
    ("app!=web", False),
    ("app!=db", True),
    ("missing!=x", True),
    ("app in (web,db)", True),
    ("app in (db)", False),
    ("app notin (db, cache)", True),
    ("app notin (web)", False),
    ("tier", True),
    ("!tier", False),
    ("!missing", True),
    ("missing", False),
    ("app=web,tier=front", True),
    ("app=web,tier=back", False),
    ("app in (a,web),!missing", True),
]


@pytest.mark.parametrize(("selector", "expected"), LABEL_CASES, ids=[c[0] or "empty" for c in LABEL_CASES])
def test_label_selector(selector: str, expected: bool) -> None:
    assert compile_selectors(selector, None)(OBJ) is expected


FIELD_CASES = [
    ("metadata.name=a", True),
    ("metadata.name==a", True),
    ("metadata.name!=a", False),
    ("metadata.namespace=ns1", True),
    ("metadata.namespace=other", False),
    ("status.phase=Running", True),
    ("metadata.name=a,metadata.namespace=ns1", True),
    ("spec.nodeName=", True),
]


@pytest.mark.parametrize(("selector", "expected"), FIELD_CASES, ids=[c[0] for c in FIELD_CASES])
def test_field_selector(selector: str, expected: bool) -> None:
    assert compile_selectors(None, selector)(OBJ) is expected


@pytest.mark.parametrize("bad", ["app in web", "a=b=c", "(x)"])
def test_bad_label_selector_is_400(bad: str) -> None:
    with pytest.raises(ApiError) as err:
        compile_selectors(bad, None)
    assert err.value.code == 400


def test_bad_field_selector_is_400() -> None:
    with pytest.raises(ApiError):
        compile_selectors(None, "metadata.name")


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (None, True),
        ({"matchLabels": {"app": "web"}}, True),
        ({"matchLabels": {"app": "db"}}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, False),
    ],
)
def test_structured_label_selector(selector: dict | None, expected: bool) -> None:
    assert match_label_selector(selector, OBJ["metadata"]["labels"]) is expected
