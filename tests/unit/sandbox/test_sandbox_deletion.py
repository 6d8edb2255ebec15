"""Finalizers, deletionTimestamp, owner-reference garbage collection, namespace termination."""

from __future__ import annotations

from typing import Any

import pytest

from modelyard.sandbox.deletion import DeleteOptions
from modelyard.sandbox.errors import ApiError
from modelyard.sandbox.resources import ResourceInfo
from modelyard.sandbox.store import Store

MERGE = "application/merge-patch+json"


def cm(name: str, **md: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, **md}}


def owned_by(owner: dict[str, Any]) -> list[dict[str, Any]]:
    md = owner["metadata"]
    return [{"apiVersion": "v1", "kind": "ConfigMap", "name": md["name"], "uid": md["uid"]}]


def names(store: Store, info: ResourceInfo) -> list[str]:
    return [o["metadata"]["name"] for o in store.list(info)["items"]]


def test_delete_without_finalizers_removes(store: Store, configmaps: ResourceInfo) -> None:
    store.create(configmaps, "default", cm("a"))
    store.delete(configmaps, "default", "a")
    assert names(store, configmaps) == []


def test_finalizers_hold_the_object_until_removed(store: Store, configmaps: ResourceInfo) -> None:
    store.create(configmaps, "default", cm("a", finalizers=["x/y"]))
    deleting = store.delete(configmaps, "default", "a")
    assert deleting["metadata"]["deletionTimestamp"] == "2025-01-01T00:00:00Z"
    assert names(store, configmaps) == ["a"]
    with pytest.raises(ApiError) as err:
        store.patch(configmaps, "default", "a", MERGE, {"metadata": {"finalizers": ["x/y", "new"]}})
    assert err.value.code == 422
    store.patch(configmaps, "default", "a", MERGE, {"metadata": {"finalizers": None}})
    assert names(store, configmaps) == []


def test_background_gc_deletes_dependents(store: Store, configmaps: ResourceInfo) -> None:
    owner = store.create(configmaps, "default", cm("owner")).obj
    store.create(configmaps, "default", cm("child", ownerReferences=owned_by(owner)))
    grandchild_owner = store.get(configmaps, "default", "child")
    store.create(configmaps, "default", cm("grandchild", ownerReferences=owned_by(grandchild_owner)))
    store.create(configmaps, "default", cm("bystander"))
    store.delete(configmaps, "default", "owner")
    assert names(store, configmaps) == ["bystander"]


def test_orphan_propagation_strips_owner_references(store: Store, configmaps: ResourceInfo) -> None:
    owner = store.create(configmaps, "default", cm("owner")).obj
    store.create(configmaps, "default", cm("child", ownerReferences=owned_by(owner)))
    store.delete(configmaps, "default", "owner", DeleteOptions(propagation_policy="Orphan"))
    assert names(store, configmaps) == ["child"]
    assert "ownerReferences" not in store.get(configmaps, "default", "child")["metadata"]


def test_foreground_waits_for_dependents(store: Store, configmaps: ResourceInfo) -> None:
    owner = store.create(configmaps, "default", cm("owner")).obj
    store.create(configmaps, "default", cm("child", ownerReferences=owned_by(owner), finalizers=["hold"]))
    store.delete(configmaps, "default", "owner", DeleteOptions(propagation_policy="Foreground"))
    lingering = store.get(configmaps, "default", "owner")
    assert lingering["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert store.get(configmaps, "default", "child")["metadata"]["deletionTimestamp"]
    store.patch(configmaps, "default", "child", MERGE, {"metadata": {"finalizers": []}})
    assert names(store, configmaps) == []


def test_preconditions(store: Store, configmaps: ResourceInfo) -> None:
    store.create(configmaps, "default", cm("a"))
    with pytest.raises(ApiError) as err:
        store.delete(configmaps, "default", "a", DeleteOptions(precondition_uid="other"))
    assert err.value.code == 409


def test_namespace_deletion_terminates_then_goes(
    store: Store, configmaps: ResourceInfo, namespaces: ResourceInfo
) -> None:
    store.create(namespaces, "", cm("team"))
    store.create(configmaps, "team", cm("a"))
    store.create(configmaps, "team", cm("held", finalizers=["x"]))
    terminating = store.delete(namespaces, "", "team")
    assert terminating["status"]["phase"] == "Terminating"
    with pytest.raises(ApiError) as err:
        store.create(configmaps, "team", cm("late"))
    assert err.value.code == 403
    store.patch(configmaps, "team", "held", MERGE, {"metadata": {"finalizers": None}})
    assert "team" not in names(store, namespaces)
