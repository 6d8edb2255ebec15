"""The kubernetes Python client and kopf against the sandbox: list, watch, a tiny operator."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import kopf
import kubernetes
from sandbox_helpers import eventually

from modelyard.sandbox import SandboxAPI

GROUP, VERSION, PLURAL = "example.modelyard.io", "v1", "widgets"


def widget(name: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": {"image": "nginx"},
    }


def _client(kubeconfig: Path) -> kubernetes.client.CustomObjectsApi:
    api_client = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
    return kubernetes.client.CustomObjectsApi(api_client)


def _list_then_watch(kubeconfig: Path) -> tuple[list[str], list[tuple[str, str]]]:
    api = _client(kubeconfig)
    listed = api.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL)
    names = [o["metadata"]["name"] for o in listed["items"]]
    api.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, widget("from-client"))
    stream = kubernetes.watch.Watch().stream(
        api.list_namespaced_custom_object,
        GROUP,
        VERSION,
        "default",
        PLURAL,
        resource_version=listed["metadata"]["resourceVersion"],
        timeout_seconds=1,
    )
    events = [(e["type"], e["object"]["metadata"]["name"]) for e in stream]
    return names, events


async def test_kubernetes_client_lists_and_watches(sandbox: SandboxAPI, kubeconfig: Path) -> None:
    widgets = sandbox.store.registry.by_kind(GROUP, "Widget")
    assert widgets is not None
    sandbox.store.create(widgets, "default", widget("existing"))
    names, events = await asyncio.to_thread(_list_then_watch, kubeconfig)
    assert names == ["existing"]
    assert events == [("ADDED", "from-client")]


async def test_kopf_operator_reacts_and_patches_status(sandbox: SandboxAPI) -> None:
    registry = kopf.OperatorRegistry()

    @kopf.on.login(registry=registry)
    def login(**_: Any) -> kopf.ConnectionInfo:
        return kopf.ConnectionInfo(server=sandbox.url, insecure=True)

    @kopf.on.startup(registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        settings.watching.server_timeout = 5
        settings.posting.level = logging.WARNING

    @kopf.on.create(GROUP, VERSION, PLURAL, registry=registry)
    def created(patch: kopf.Patch, **_: Any) -> None:
        patch.status["phase"] = "Ready"

    stop = asyncio.Event()
    operator = asyncio.create_task(
        kopf.operator(registry=registry, standalone=True, clusterwide=True, stop_flag=stop)
    )
    widgets = sandbox.store.registry.by_kind(GROUP, "Widget")
    assert widgets is not None
    try:
        sandbox.store.create(widgets, "default", widget("watched"))

        async def ready() -> bool:
            obj = sandbox.store.get(widgets, "default", "watched")
            return (obj.get("status") or {}).get("phase") == "Ready"

        await eventually(ready, within=20)
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(operator, 20)
    status_writes = sandbox.requests.count(verb="patch", plural="widgets", subresource="status")
    assert status_writes >= 1
    failed = [
        (r.method, r.verb, r.plural, r.subresource, r.code) for r in sandbox.requests.records if r.code >= 400
    ]
    assert failed == []
