"""Carry out a decision's actions through the API, in order, idempotently, stopping at the first error."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from modelyard.adapters.kube import EVENTS, ApiError, KubeClient, ref_for
from modelyard.core.actions import Action, Apply, CreateIfAbsent, Delete, EmitEvent, Patch

logger = logging.getLogger(__name__)


async def execute(
    kube: KubeClient, owner: Mapping[str, Any], actions: Iterable[Action], now: datetime
) -> None:
    """Apply each action in turn; an ApiError stops the rest (the next reconcile retries them all)."""
    for action in actions:
        await _execute_one(kube, owner, action, now)


async def _execute_one(kube: KubeClient, owner: Mapping[str, Any], action: Action, now: datetime) -> None:
    if isinstance(action, Apply):
        m = action.manifest
        await kube.converge(ref_for(m["apiVersion"], m["kind"]), m["metadata"].get("namespace"), m, action.live,
                            known=action.observed)
    elif isinstance(action, CreateIfAbsent):
        m = action.manifest
        try:
            await kube.create(ref_for(m["apiVersion"], m["kind"]), m["metadata"].get("namespace"), m)
        except ApiError as e:
            if not e.conflict:  # 409 AlreadyExists: created before, by us or someone else
                raise
    elif isinstance(action, Patch):
        ref = ref_for(action.api_version, action.kind)
        await kube.patch(ref, action.namespace, action.name, action.patch, subresource=action.subresource)
    elif isinstance(action, Delete):
        await kube.delete(ref_for(action.api_version, action.kind), action.namespace, action.name)
    elif isinstance(action, EmitEvent):
        await post_event(kube, owner, action, now)


async def post_event(kube: KubeClient, owner: Mapping[str, Any], event: EmitEvent, now: datetime) -> None:
    """A core/v1 Event about ``owner``; failing to post one is logged, never fatal."""
    meta = owner["metadata"]
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    name = {"name": f"{meta['name'][:253 - len(event.key) - 1]}.{event.key}"} if event.key else {
        "generateName": f"{meta['name']}."}
    body = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {**name, "namespace": meta.get("namespace")},
        "involvedObject": {
            "apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"],
            "namespace": meta.get("namespace"), "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        },
        "type": event.type,
        "reason": event.reason,
        "message": event.message[:1024],
        "source": {"component": "modelyard"},
        "reportingComponent": "modelyard",
        "reportingInstance": "modelyard",
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }
    try:
        await kube.create(EVENTS, meta.get("namespace"), body)
        logger.info("%s %s: %s", event.type, event.reason, event.message)  # the decision, in the log too
    except ApiError as e:
        if event.key and e.conflict:
            return  # posted before, by a reconcile that decided the same transition
        logger.warning("could not post event %s on %s: %s", event.reason, meta.get("name"), e)
