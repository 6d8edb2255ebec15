"""Serialised reads: GET/LIST/watch JSON comes from one serialisation per stored revision."""

from __future__ import annotations

import json

from modelyard.sandbox.resources import ResourceInfo
from modelyard.sandbox.store import Store

MERGE = "application/merge-patch+json"


def cm(name: str) -> dict[str, object]:
    return {"metadata": {"name": name, "labels": {"a": name}}, "data": {"k": name}}


def test_get_json_is_the_get_and_follows_writes(store: Store, configmaps: ResourceInfo) -> None:
    store.create(configmaps, "default", cm("x"))
    first = store.get_json(configmaps, "default", "x")
    assert json.loads(first) == store.get(configmaps, "default", "x")
    assert store.get_json(configmaps, "default", "x") is first  # not serialised again
    store.patch(configmaps, "default", "x", MERGE, {"data": {"k": "new"}})
    assert json.loads(store.get_json(configmaps, "default", "x"))["data"] == {"k": "new"}


def test_list_json_is_the_list(store: Store, configmaps: ResourceInfo) -> None:
    for name in ("c", "a", "b"):
        store.create(configmaps, "default", cm(name))
    for kwargs in ({}, {"limit": 2}, {"label_selector": "a in (a,c)"}):
        assert json.loads(store.list_json(configmaps, "default", **kwargs)) == store.list(
            configmaps, "default", **kwargs
        )


def test_an_event_is_serialised_once_for_every_watcher(store: Store, configmaps: ResourceInfo) -> None:
    watchers = [store.watch(configmaps, "default", resource_version=str(store.storage.rv)) for _ in range(3)]
    store.create(configmaps, "default", cm("x"))
    objs = [w.queue.get_nowait() for w in watchers]
    assert all(kind == "ADDED" for kind, _ in objs)
    encoded = {id(store.storage.encode(obj, "v1", "ConfigMap")) for _, obj in objs}
    assert len(encoded) == 1


def test_a_version_other_than_the_stored_one_is_seen_through_its_own_api_version(
    store: Store, configmaps: ResourceInfo
) -> None:
    store.create(configmaps, "default", cm("x"))
    obj = store.storage.find(configmaps.storage_key, "default", "x")
    assert obj is not None
    assert json.loads(store.storage.encode(obj, "v2", "ConfigMap"))["apiVersion"] == "v2"
    assert json.loads(store.storage.encode(obj, "v1", "ConfigMap"))["apiVersion"] == "v1"
