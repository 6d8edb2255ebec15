"""ModelVersion handlers, and the nudges: from InferenceService events, and to siblings from ModelVersion events."""

from __future__ import annotations

import os
from typing import Any

import kopf

from modelyard.adapters.kube import ApiError
from modelyard.adapters.telemetry import instrumented
from modelyard.api.modelversion import PROTECTION_FINALIZER
from modelyard.controller.common import utcnow
from modelyard.controller.modelversion import (
    RegistryIndexes,
    nudge_modelversions,
    nudge_siblings,
    reconcile_modelversion,
)
from modelyard.core.modelversion import is_settled, should_add_protection
from modelyard.handlers.indexes import INFERENCESERVICES, MODELVERSIONS

RESYNC_SECONDS = float(os.environ.get("MODELYARD_RESYNC_SECONDS", "5"))
RETRY = {"timeout": 60, "retries": 20, "backoff": 5}
#: How soon to decide again after a write lost a race (409): another handler of ours or a user moved first.
CONFLICT_DELAY = min(1.0, RESYNC_SECONDS)


def _indexes(kw: dict[str, Any]) -> RegistryIndexes:
    return RegistryIndexes(kw["modelversions_by_model"], kw["inferenceservices_by_modelversion"],
                           kw["modelversions_by_name"], kw["modelversions_by_holder"])


def _deleting(body: kopf.Body, type: str | None, **_: Any) -> bool:
    meta = body.get("metadata") or {}
    return type != "DELETED" and bool(meta.get("deletionTimestamp")) and PROTECTION_FINALIZER in (
        meta.get("finalizers") or [])


def _protect(body: kopf.Body, patch: kopf.Patch) -> None:
    """Add the protection finalizer in kopf's own patch: a JSON patch kopf tests against the freshest
    resourceVersion and re-applies after a conflict, so it never fights kopf's bookkeeping (no 409)."""
    if should_add_protection(body.get("metadata") or {}):
        patch.fns.append(_add_protection)


def _add_protection(body: Any) -> None:
    finalizers = body.setdefault("metadata", {}).setdefault("finalizers", [])
    if PROTECTION_FINALIZER not in finalizers:
        finalizers.append(PROTECTION_FINALIZER)


def _added_or_deleted(type: str | None, **_: Any) -> bool:
    return type in ("ADDED", "DELETED")  # not the initial listing (None): the resume handlers cover it


async def _reconcile(body: kopf.Body, memo: kopf.Memo, kw: dict[str, Any], *, on_conflict: str) -> dict[str, Any]:
    """The status patch; on a 409 (the body is stale) retry soon ("retry") or leave it to the next event ("skip").

    A 404 means the version is gone meanwhile (its finalizer released by another handler): nothing to do."""
    try:
        return await reconcile_modelversion(memo.kube, dict(body), _indexes(kw), utcnow())
    except ApiError as e:
        if e.not_found:
            return {}
        if not e.conflict:
            raise
        if on_conflict == "retry":
            raise kopf.TemporaryError(f"changed meanwhile: {e.message}", delay=CONFLICT_DELAY) from e
        return {}


@kopf.on.resume(*MODELVERSIONS, **RETRY)  # type: ignore[arg-type]
@kopf.on.create(*MODELVERSIONS, **RETRY)  # type: ignore[arg-type]
@kopf.on.update(*MODELVERSIONS, **RETRY)  # type: ignore[arg-type]
@instrumented("modelversion")
async def reconcile(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
    _protect(body, patch)
    patch.status.update(await _reconcile(body, memo, kw, on_conflict="retry"))


@kopf.timer(*MODELVERSIONS, interval=RESYNC_SECONDS)
@instrumented("modelversion")
async def resync(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
    if not is_settled(body):
        _protect(body, patch)
        patch.status.update(await _reconcile(body, memo, kw, on_conflict="skip"))  # the next tick decides again


@kopf.on.event(*MODELVERSIONS, when=_deleting)
@instrumented("modelversion")
async def deleting(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
    patch.status.update(await _reconcile(body, memo, kw, on_conflict="skip"))  # the change that won brings an event


@kopf.on.event(*MODELVERSIONS, when=_added_or_deleted)
@instrumented("modelversion")
async def siblings(body: kopf.Body, memo: kopf.Memo, **kw: Any) -> None:
    await nudge_siblings(memo.kube, dict(body), _indexes(kw), utcnow())


@kopf.on.event(*INFERENCESERVICES)
@instrumented("modelversion")
async def nudge(body: kopf.Body, memo: kopf.Memo, **kw: Any) -> None:
    await nudge_modelversions(memo.kube, dict(body), _indexes(kw), utcnow())
