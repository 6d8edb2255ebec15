"""ModelVersion: observe (kopf's indexes, no API call) -> decide (core) -> execute; and the nudge.

The status has one writer, this module, which writes it itself with a resourceVersion precondition
(``persist_modelversion``), from the ModelVersion handlers and timer, when an InferenceService
changes: ``nudge_modelversions`` re-reconciles every ModelVersion that InferenceService names now or
named before (the latter found through the ``heldBy``/``servedBy`` the ModelVersions recorded); and when
a ModelVersion is added or deleted: ``nudge_siblings`` re-reconciles the versions of the same model
whose retention or duplicate status that may change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelyard.adapters.kube import MODELVERSIONS, ApiError, KubeClient
from modelyard.api.modelversion import ModelVersion
from modelyard.controller.common import parse, parse_status, status_patch
from modelyard.controller.execute import execute
from modelyard.core.actions import Decision, EmitEvent
from modelyard.core.modelversion import (
    ModelVersionObserved,
    calculate_protection_patch,
    calculate_status_write,
    decide_modelversion,
    is_settled,
    releases,
    should_wait_for_kopf,
)
from modelyard.core.registry import VersionRecord, calculate_sibling_nudges, record_from_body
from modelyard.core.registry_usage import Usage, usages_from_inferenceservice

logger = logging.getLogger(__name__)

Key = tuple[str, str]
#: Decisions a nudge makes for one ModelVersion when its writes keep losing races (409), each from a fresh read.
NUDGE_ATTEMPTS = 3


@dataclass(frozen=True)
class RegistryIndexes:
    """kopf's indexes (or plain dicts of lists in tests), each keyed by (namespace, name)."""

    versions: Mapping[Key, Iterable[VersionRecord]]  # modelversions_by_model: (namespace, model)
    usages: Mapping[Key, Iterable[Usage]]  # inferenceservices_by_modelversion: (namespace, modelVersion)
    bodies: Mapping[Key, Iterable[dict[str, Any]]]  # modelversions_by_name: (namespace, name), slim bodies
    holders: Mapping[Key, Iterable[str]]  # modelversions_by_holder: (namespace, inferenceService)


def observe(body: Mapping[str, Any], indexes: RegistryIndexes) -> ModelVersionObserved:
    """This version, its siblings and its consumers, from the indexes."""
    meta = body.get("metadata") or {}
    namespace, name = meta.get("namespace", ""), meta.get("name", "")
    record = record_from_body(body)
    siblings = tuple(indexes.versions.get((namespace, record.model), ())) if record is not None else ()
    usages = tuple(indexes.usages.get((namespace, name), ()))
    return ModelVersionObserved(record=record, siblings=siblings, usages=usages)


def calculate_decision(body: dict[str, Any], indexes: RegistryIndexes, now: datetime) -> Decision:
    """Parse, observe and decide (no I/O)."""
    mv, problem = parse(ModelVersion, body)
    old = mv.status if mv is not None else parse_status(ModelVersion, body)
    spec = mv.spec if mv is not None else None
    return decide_modelversion(body.get("metadata") or {}, spec, problem, old, observe(body, indexes), now)


def affected_modelversions(isvc: Mapping[str, Any], holders: Mapping[Key, Iterable[str]]) -> list[str]:
    """ModelVersions an InferenceService names now, or that recorded it as a holder or server before."""
    meta = isvc.get("metadata") or {}
    before = holders.get((meta.get("namespace", ""), meta.get("name", "")), ())
    return sorted(set(usages_from_inferenceservice(isvc)) | set(before))


async def nudge_modelversions(
    kube: KubeClient, isvc: Mapping[str, Any], indexes: RegistryIndexes, now: datetime
) -> int:
    """Re-reconcile the ModelVersions an InferenceService change may affect; how many statuses were written."""
    namespace = (isvc.get("metadata") or {}).get("namespace", "")
    return await _nudge(kube, namespace, affected_modelversions(isvc, indexes.holders), indexes, now)


async def nudge_siblings(kube: KubeClient, mv: Mapping[str, Any], indexes: RegistryIndexes, now: datetime) -> int:
    """Re-reconcile the siblings a ModelVersion just added or deleted may change (retention, duplicates)."""
    record = record_from_body(mv)
    if record is None:
        return 0
    names = calculate_sibling_nudges(record, indexes.versions.get((record.namespace, record.model), ()))
    return await _nudge(kube, record.namespace, names, indexes, now)


async def _nudge(kube: KubeClient, namespace: str, names: Iterable[str], indexes: RegistryIndexes,
                 now: datetime) -> int:
    written = 0
    for name in names:
        body = next(iter(indexes.bodies.get((namespace, name), ())), None)
        if body is not None:
            written += await reconcile_modelversion(kube, body, indexes, now)
    return written


async def resync_modelversion(kube: KubeClient, body: dict[str, Any], indexes: RegistryIndexes, now: datetime) -> int:
    """The timer's pass: nothing for a settled version, nor for one kopf has not taken in yet (its change
    handler decides first); otherwise one decision on the version as the API holds it.

    kopf refreshes a timer's body only when it processes the object's next watch event, and it holds an
    object's events while it retries a refused patch of that object (up to kopf's 54 s of backoffs): a decision
    on that body would lose its write (409) on every tick, or repeat a status the last pass already wrote."""
    meta = body.get("metadata") or {}
    if is_settled(body) or should_wait_for_kopf(meta):
        return 0
    fresh = await kube.get_or_none(MODELVERSIONS, meta.get("namespace"), meta.get("name", ""))
    fresh_meta = (fresh or {}).get("metadata") or {}
    if fresh is None or fresh_meta.get("uid") != meta.get("uid") or is_settled(fresh) or should_wait_for_kopf(
            fresh_meta):
        return 0
    return await reconcile_modelversion(kube, fresh, indexes, now, attempts=1)  # after a 409 the next tick


async def reconcile_modelversion(kube: KubeClient, body: dict[str, Any], indexes: RegistryIndexes, now: datetime,
                                 attempts: int = NUDGE_ATTEMPTS) -> int:
    """Persist a decision on ``body``; on a conflict (``body`` was stale) decide again from a fresh read, up to
    ``attempts`` decisions in all. How many statuses were written (0 when the object is gone or kept changing).

    A settled version is not looked at by the resync timer, so a nudge must not give up on the first 409;
    the timer itself makes one attempt (its next tick decides again)."""
    meta = body["metadata"]
    for attempt in range(1, attempts + 1):
        try:
            return await persist_modelversion(kube, body, indexes, now)
        except ApiError as e:
            if not (e.conflict or e.not_found):
                raise
            if e.not_found or attempt == attempts:
                break
        fresh = await kube.get_or_none(MODELVERSIONS, meta.get("namespace"), meta["name"])
        if fresh is None:
            return 0
        body = fresh
    logger.debug("ModelVersion %s changed meanwhile; the next event or tick decides again", meta["name"])
    return 0


async def persist_modelversion(kube: KubeClient, body: dict[str, Any], indexes: RegistryIndexes,
                               now: datetime) -> int:
    """Protect, decide, execute all but the Events, write the status with a resourceVersion precondition, then
    post the Events: a decision made on a stale body loses the write (409, raised) and posts nothing, so no
    transition is written or announced twice. kopf's own patch is never used: a kopf timer whose patch is
    refused stops for good, and kopf retries a refused status patch later with the stale content."""
    body = await persist_protection(kube, body)
    meta = body["metadata"]
    decision = calculate_decision(body, indexes, now)
    events = [a for a in decision.actions if isinstance(a, EmitEvent)]
    await execute(kube, body, [a for a in decision.actions if not isinstance(a, EmitEvent)], now)
    patch = {} if releases(decision) else status_patch(body, decision.status)
    if patch:
        await kube.patch(MODELVERSIONS, meta.get("namespace"), meta["name"], calculate_status_write(meta, patch),
                         subresource="status")
    await execute(kube, body, events, now)
    return 1 if patch else 0


async def persist_protection(kube: KubeClient, body: dict[str, Any]) -> dict[str, Any]:
    """Add the protection finalizer unless it is there; ``body`` as it is then (the new resourceVersion)."""
    meta = body["metadata"]
    patch = calculate_protection_patch(meta)
    if patch is None:
        return body
    written = await kube.patch(MODELVERSIONS, meta.get("namespace"), meta["name"], patch)
    version = (written.get("metadata") or {}).get("resourceVersion")
    return {**body, "metadata": {**meta, **patch["metadata"], "resourceVersion": version}}
