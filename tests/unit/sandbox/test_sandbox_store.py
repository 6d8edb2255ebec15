"""Store semantics: resourceVersion, generation, status subresource, conflicts, names, namespaces."""

from __future__ import annotations

from typing import Any

import pytest

from modelyard.sandbox.errors import ApiError
from modelyard.sandbox.resources import ResourceInfo
from modelyard.sandbox.store import Store, WriteOptions

MERGE = "application/merge-patch+json"


def widget(name: str = "w", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"image": "nginx", **spec}}


def rv(obj: dict[str, Any]) -> int:
    return int(obj["metadata"]["resourceVersion"])


def test_create_fills_server_metadata(store: Store, widgets: ResourceInfo) -> None:
    obj = store.create(widgets, "default", {**widget(), "status": {"phase": "Ready"}}).obj
    md = obj["metadata"]
    assert (md["generation"], md["namespace"], md["creationTimestamp"]) == (
        1,
        "default",
        "2025-01-01T00:00:00Z",
    )
    assert md["uid"] and rv(obj) > 0
    assert "status" not in obj, "a create ignores status when the status subresource is on"
    assert (obj["apiVersion"], obj["kind"]) == ("example.modelyard.io/v1", "Widget")


def test_resource_version_is_global_and_monotonic(
    store: Store, widgets: ResourceInfo, configmaps: ResourceInfo
) -> None:
    a = store.create(widgets, "default", widget("a")).obj
    b = store.create(configmaps, "default", {"metadata": {"name": "b"}}).obj
    c = store.patch(widgets, "default", "a", MERGE, {"spec": {"size": 2}}).obj
    assert rv(a) < rv(b) < rv(c)
    assert store.list(widgets, "default")["metadata"]["resourceVersion"] == str(rv(c))


@pytest.mark.parametrize(
    ("patch", "subresource", "bumps"),
    [
        ({"spec": {"size": 2}}, "", True),
        ({"metadata": {"labels": {"a": "b"}}}, "", False),
        ({"status": {"phase": "Ready"}}, "status", False),
    ],
    ids=["spec", "metadata", "status"],
)
def test_generation_bumps_only_on_spec(
    store: Store, widgets: ResourceInfo, patch: dict[str, Any], subresource: str, bumps: bool
) -> None:
    store.create(widgets, "default", widget())
    obj = store.patch(widgets, "default", "w", MERGE, patch, subresource=subresource).obj
    assert obj["metadata"]["generation"] == (2 if bumps else 1)


def test_status_subresource_is_kept_apart(store: Store, widgets: ResourceInfo) -> None:
    store.create(widgets, "default", widget())
    store.patch(widgets, "default", "w", MERGE, {"status": {"phase": "Ready"}}, subresource="status")
    main = store.patch(
        widgets, "default", "w", MERGE, {"spec": {"size": 3}, "status": {"phase": "Failed"}}
    ).obj
    assert main["status"] == {"phase": "Ready"} and main["spec"]["size"] == 3
    status = store.patch(
        widgets,
        "default",
        "w",
        MERGE,
        {"spec": {"size": 9}, "status": {"phase": "Running"}},
        subresource="status",
    ).obj
    assert status["spec"]["size"] == 3 and status["status"] == {"phase": "Running"}


def test_no_op_write_keeps_resource_version(store: Store, widgets: ResourceInfo) -> None:
    first = store.create(widgets, "default", widget()).obj
    again = store.patch(widgets, "default", "w", MERGE, {"spec": {"image": "nginx"}}).obj
    assert rv(again) == rv(first)
    assert store.storage.rv == rv(first)


def test_stale_resource_version_is_409(store: Store, widgets: ResourceInfo) -> None:
    first = store.create(widgets, "default", widget()).obj
    store.patch(widgets, "default", "w", MERGE, {"spec": {"size": 2}})
    first["spec"]["size"] = 5
    with pytest.raises(ApiError) as err:
        store.update(widgets, "default", "w", first)
    assert (err.value.code, err.value.reason) == (409, "Conflict")
    assert "the object has been modified" in err.value.message


def test_already_exists_and_generate_name(store: Store, widgets: ResourceInfo) -> None:
    store.create(widgets, "default", widget())
    with pytest.raises(ApiError) as err:
        store.create(widgets, "default", widget())
    assert (err.value.code, err.value.reason) == (409, "AlreadyExists")
    made = store.create(widgets, "default", {"metadata": {"generateName": "w-"}, "spec": {"image": "x"}}).obj
    assert made["metadata"]["name"].startswith("w-") and len(made["metadata"]["name"]) == 7


@pytest.mark.parametrize("name", ["UPPER", "under_score", "-dash", ""])
def test_bad_names_are_422(store: Store, configmaps: ResourceInfo, name: str) -> None:
    with pytest.raises(ApiError) as err:
        store.create(configmaps, "default", {"metadata": {"name": name}})
    assert err.value.code == 422


def test_missing_namespace_is_404(store: Store, configmaps: ResourceInfo) -> None:
    with pytest.raises(ApiError) as err:
        store.create(configmaps, "nowhere", {"metadata": {"name": "a"}})
    assert err.value.code == 404 and err.value.message == 'namespaces "nowhere" not found'


def test_get_missing_is_404(store: Store, widgets: ResourceInfo) -> None:
    with pytest.raises(ApiError) as err:
        store.get(widgets, "default", "nope")
    assert err.value.message == 'widgets.example.modelyard.io "nope" not found'


def test_dry_run_writes_nothing(store: Store, widgets: ResourceInfo) -> None:
    before = store.storage.rv
    store.create(widgets, "default", widget(), WriteOptions(dry_run=True))
    assert store.storage.rv == before and store.list(widgets)["items"] == []


def test_apply_creates_then_merges_and_records_manager(store: Store, widgets: ResourceInfo) -> None:
    opts = WriteOptions(field_manager="me")
    apply = "application/apply-patch+yaml"
    created = store.patch(widgets, "default", "w", apply, {**widget(), "kind": "Widget"}, opts)
    assert created.created
    merged = store.patch(widgets, "default", "w", apply, {"spec": {"size": 4}}, opts).obj
    assert merged["spec"]["image"] == "nginx" and merged["spec"]["size"] == 4
    managers = [(m["manager"], m["operation"]) for m in merged["metadata"]["managedFields"]]
    assert managers == [("me", "Apply")]


def test_strategic_patch_refused_for_custom_resources(store: Store, widgets: ResourceInfo) -> None:
    store.create(widgets, "default", widget())
    with pytest.raises(ApiError) as err:
        store.patch(widgets, "default", "w", "application/strategic-merge-patch+json", {"spec": {}})
    assert err.value.code == 415


def test_list_selectors_and_pagination(store: Store, configmaps: ResourceInfo) -> None:
    for n in range(5):
        store.create(
            configmaps, "default", {"metadata": {"name": f"c{n}", "labels": {"even": str(n % 2 == 0)}}}
        )
    assert [o["metadata"]["name"] for o in store.list(configmaps, label_selector="even=True")["items"]] == [
        "c0",
        "c2",
        "c4",
    ]
    page = store.list(configmaps, "default", limit=2)
    assert len(page["items"]) == 2 and page["metadata"]["remainingItemCount"] == 3
    rest = store.list(configmaps, "default", continue_token=page["metadata"]["continue"])
    assert [o["metadata"]["name"] for o in rest["items"]] == ["c2", "c3", "c4"]


def test_crd_created_through_the_api_is_served_and_established(store: Store) -> None:
    crds = store.registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    assert crds is not None
    crd = {
        "metadata": {"name": "gadgets.example.io"},
        "spec": {
            "group": "example.io",
            "scope": "Cluster",
            "names": {"plural": "gadgets", "kind": "Gadget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        },
    }
    store.create(crds, "", crd)
    gadgets = store.registry.get("example.io", "v1", "gadgets")
    assert gadgets is not None and not gadgets.namespaced
    store.create(gadgets, "", {"metadata": {"name": "g"}})
    conditions = store.get(crds, "", "gadgets.example.io")["status"]["conditions"]
    assert {c["type"]: c["status"] for c in conditions} == {"NamesAccepted": "True", "Established": "True"}
    store.delete(crds, "", "gadgets.example.io")
    assert store.registry.get("example.io", "v1", "gadgets") is None


def test_broken_crd_is_refused(store: Store) -> None:
    crds = store.registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    assert crds is not None
    with pytest.raises(ApiError) as err:
        store.create(crds, "", {"metadata": {"name": "x.example.io"}, "spec": {"group": "example.io"}})
    assert err.value.code == 422
