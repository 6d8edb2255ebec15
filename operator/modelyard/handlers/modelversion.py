"""ModelVersion handlers, and the nudges: from InferenceService events, and to siblings from ModelVersion events.

Every handler writes through the controller (the protection finalizer, then the status, each with a
resourceVersion precondition) and leaves kopf's patch empty: a kopf timer whose patch is refused stops for
good, and a refused patch after a change handler is dropped once kopf's last-handled annotation landed."""

from __future__ import annotations

import os
from typing import Any

import kopf

from modelyard.adapters.telemetry import instrumented
from modelyard.api.modelversion import PROTECTION_FINALIZER
from modelyard.controller.common import utcnow
from modelyard.controller.modelversion import (
    RegistryIndexes,
    nudge_modelversions,
    nudge_siblings,
    reconcile_modelversion,
    resync_modelversion,
)
from modelyard.core.registry_usage import calculate_usage_signal
from modelyard.handlers.indexes import INFERENCESERVICES, MODELVERSIONS

RESYNC_SECONDS = float(os.environ.get("MODELYARD_RESYNC_SECONDS", "5"))
RETRY = {"timeout": 60, "retries": 20, "backoff": 5}


def _indexes(kw: dict[str, Any]) -> RegistryIndexes:
    return RegistryIndexes(kw["modelversions_by_model"], kw["inferenceservices_by_modelversion"],
                           kw["modelversions_by_name"], kw["modelversions_by_holder"])


def _deleting(body: kopf.Body, type: str | None, **_: Any) -> bool:
    meta = body.get("metadata") or {}
    return type != "DELETED" and bool(meta.get("deletionTimestamp")) and PROTECTION_FINALIZER in (
        meta.get("finalizers") or [])


def _added_or_deleted(type: str | None, **_: Any) -> bool:
    return type in ("ADDED", "DELETED")  # not the initial listing (None): the resume handlers cover it


@kopf.on.resume(*MODELVERSIONS, **RETRY)  # type: ignore[arg-type]
@kopf.on.create(*MODELVERSIONS, **RETRY)  # type: ignore[arg-type]
@kopf.on.update(*MODELVERSIONS, **RETRY)  # type: ignore[arg-type]
@instrumented("modelversion")
async def reconcile(body: kopf.Body, memo: kopf.Memo, **kw: Any) -> None:
    await reconcile_modelversion(memo.kube, dict(body), _indexes(kw), utcnow())  # a 409: a fresh read, again


@kopf.timer(*MODELVERSIONS, interval=RESYNC_SECONDS, backoff=RESYNC_SECONDS)
@instrumented("modelversion")
async def resync(body: kopf.Body, memo: kopf.Memo, **kw: Any) -> None:
    await resync_modelversion(memo.kube, dict(body), _indexes(kw), utcnow())


@kopf.on.event(*MODELVERSIONS, when=_deleting)
@instrumented("modelversion")
async def deleting(body: kopf.Body, memo: kopf.Memo, **kw: Any) -> None:
    # One attempt: the change that won a 409 brings an event of its own, and the timer looks at a deleting version.
    await reconcile_modelversion(memo.kube, dict(body), _indexes(kw), utcnow(), attempts=1)


@kopf.on.event(*MODELVERSIONS, when=_added_or_deleted)
@instrumented("modelversion")
async def siblings(body: kopf.Body, memo: kopf.Memo, **kw: Any) -> None:
    await nudge_siblings(memo.kube, dict(body), _indexes(kw), utcnow())


@kopf.on.event(*INFERENCESERVICES)
@instrumented("modelversion")
async def nudge(body: kopf.Body, memo: kopf.Memo, type: str | None, uid: str, **kw: Any) -> None:
    """Only when what the service does with its versions changed (not on each of its status writes); the
    last usages seen per service are an in-memory hint: after a restart every service nudges once."""
    if memo.usage_signals.changed(uid, calculate_usage_signal(body, type)):
        await nudge_modelversions(memo.kube, dict(body), _indexes(kw), utcnow())
