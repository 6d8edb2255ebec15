"""JSONPath subset, printer columns, human durations."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from modelyard.sandbox import jsonpath, tables
from modelyard.sandbox.resources import ResourceInfo
from modelyard.sandbox.store import Store

OBJ = {
    "metadata": {"name": "w", "creationTimestamp": "2025-01-01T00:00:00Z", "labels": {"a.b/c": "x"}},
    "spec": {"size": 2, "tags": ["t1", "t2"]},
    "status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "Stalled", "status": "False"}]},
}

PATH_CASES = [
    (".spec.size", [2]),
    ("{.spec.size}", [2]),
    (".spec.tags[1]", ["t2"]),
    (".spec.tags[-1]", ["t2"]),
    (".spec.tags[*]", ["t1", "t2"]),
    ('.status.conditions[?(@.type=="Ready")].status', ["True"]),
    (".status.conditions[?(@.type!='Ready')].type", ["Stalled"]),
    (".spec.missing", []),
    (".metadata.labels['a.b/c']", ["x"]),
    (".metadata.labels.a\\.b/c", ["x"]),
    ("..bad", []),
]


@pytest.mark.parametrize(("path", "expected"), PATH_CASES, ids=[c[0] for c in PATH_CASES])
def test_jsonpath(path: str, expected: list[Any]) -> None:
    assert jsonpath.find(OBJ, path) == expected


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (0, "0s"),
        (119, "119s"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600 + 60, "3h1m"),
        (10 * 3600, "10h"),
        (3 * 86400 + 3600, "3d1h"),
        (30 * 86400, "30d"),
        (800 * 86400, "2y70d"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert tables.human_duration(seconds) == text


def test_crd_table_uses_printer_columns(store: Store, widgets: ResourceInfo) -> None:
    obj = store.create(
        widgets, "default", {"metadata": {"name": "w"}, "spec": {"image": "nginx", "size": 2}}
    ).obj
    obj["status"] = OBJ["status"]
    store.clock = lambda: datetime.datetime(2025, 1, 1, 0, 5, tzinfo=datetime.UTC)
    table = tables.to_table(widgets, [obj], store.clock, resource_version="7")
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Size",
        "Mode",
        "Phase",
        "Ready",
        "Image",
        "Age",
    ]
    assert table["rows"][0]["cells"] == ["w", 2, "Online", None, "True", "nginx", "5m"]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_builtin_tables(store: Store) -> None:
    pods = store.registry.get("", "v1", "pods")
    assert pods is not None
    pod = {
        "metadata": {"name": "p", "creationTimestamp": "2025-01-01T00:00:00Z"},
        "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [{"ready": True, "restartCount": 2}, {"ready": False}],
        },
    }
    table = tables.to_table(pods, [pod], store.clock, include_object="None")
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Ready", "Status", "Restarts", "Age"]
    assert table["rows"] == [{"cells": ["p", "1/2", "Running", "2", "0s"]}]
