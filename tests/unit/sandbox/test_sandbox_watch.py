"""Watch semantics at the store level: initial state, replay, 410, selector transitions, bookmarks."""

from __future__ import annotations

from typing import Any

import pytest

from modelyard.sandbox.errors import ApiError
from modelyard.sandbox.events import Watcher
from modelyard.sandbox.resources import ResourceInfo
from modelyard.sandbox.store import Store

MERGE = "application/merge-patch+json"


def drain(watcher: Watcher) -> list[tuple[str, str]]:
    out = []
    while not watcher.queue.empty():
        item = watcher.queue.get_nowait()
        if item is None:
            break
        out.append((item[0], item[1]["metadata"].get("name", "")))
    return out


def cm(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}}


async def test_watch_without_rv_sends_current_state_then_changes(
    store: Store, configmaps: ResourceInfo
) -> None:
    store.create(configmaps, "default", cm("a"))
    watcher = store.watch(configmaps, "default")
    store.create(configmaps, "default", cm("b"))
    store.delete(configmaps, "default", "a")
    assert drain(watcher) == [("ADDED", "a"), ("ADDED", "b"), ("DELETED", "a")]


async def test_watch_from_rv_replays_history(store: Store, configmaps: ResourceInfo) -> None:
    listed_rv = store.list(configmaps)["metadata"]["resourceVersion"]
    store.create(configmaps, "default", cm("a"))
    store.patch(configmaps, "default", "a", MERGE, {"data": {"k": "v"}})
    watcher = store.watch(configmaps, resource_version=listed_rv)
    assert drain(watcher) == [("ADDED", "a"), ("MODIFIED", "a")]


async def test_too_old_rv_is_410(store: Store, configmaps: ResourceInfo) -> None:
    for n in range(60):  # history holds 50 events in this fixture
        store.create(configmaps, "default", cm(f"c{n}"))
    with pytest.raises(ApiError) as err:
        store.watch(configmaps, resource_version="2")
    assert err.value.code == 410 and "too old resource version" in err.value.message


async def test_selector_transitions_become_added_and_deleted(store: Store, configmaps: ResourceInfo) -> None:
    watcher = store.watch(
        configmaps, "default", resource_version=str(store.storage.rv), label_selector="app=web"
    )
    store.create(configmaps, "default", cm("a", app="db"))
    store.patch(configmaps, "default", "a", MERGE, {"metadata": {"labels": {"app": "web"}}})
    store.patch(configmaps, "default", "a", MERGE, {"data": {"x": "1"}})
    store.patch(configmaps, "default", "a", MERGE, {"metadata": {"labels": {"app": "db"}}})
    assert drain(watcher) == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


async def test_namespace_and_field_selector_filter(store: Store, configmaps: ResourceInfo) -> None:
    watcher = store.watch(
        configmaps, "kube-system", resource_version=str(store.storage.rv), field_selector="metadata.name=b"
    )
    store.create(configmaps, "default", cm("b"))
    store.create(configmaps, "kube-system", cm("a"))
    store.create(configmaps, "kube-system", cm("b"))
    assert drain(watcher) == [("ADDED", "b")]


async def test_send_initial_events_ends_with_annotated_bookmark(
    store: Store, configmaps: ResourceInfo
) -> None:
    store.create(configmaps, "default", cm("a"))
    watcher = store.watch(configmaps, "default", send_initial_events=True, resource_version="")
    events = []
    while not watcher.queue.empty():
        item = watcher.queue.get_nowait()
        assert item is not None
        events.append(item)
    assert [e[0] for e in events] == ["ADDED", "BOOKMARK"]
    assert events[1][1]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


async def test_unwatch_closes_the_stream(store: Store, configmaps: ResourceInfo) -> None:
    watcher = store.watch(configmaps)
    store.unwatch(watcher)
    store.create(configmaps, "default", cm("a"))
    assert [item async for item in watcher] == []


async def test_listener_sees_every_committed_event(store: Store, configmaps: ResourceInfo) -> None:
    seen: list[str] = []
    unsubscribe = store.storage.add_listener(lambda e: seen.append(e.type))
    store.create(configmaps, "default", cm("a"))
    store.delete(configmaps, "default", "a")
    unsubscribe()
    store.create(configmaps, "default", cm("b"))
    assert seen == ["ADDED", "DELETED"]
