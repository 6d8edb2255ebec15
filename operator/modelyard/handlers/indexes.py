"""In-memory indexes kopf keeps from its watches; lookups without list calls.

Coroutines although they do no I/O: kopf runs a plain function in a thread pool, a hop per event.

kopf fills every index from its initial listing before any handler runs, so a reconcile never sees
a half-built registry (which could, say, retire a version whose InferenceService was not indexed yet).
"""

from __future__ import annotations

from typing import Any

import kopf

from modelyard.core.registry import VersionRecord, calculate_slim_body, record_from_body
from modelyard.core.registry_usage import Usage, recorded_holders, usages_from_inferenceservice

MODELVERSIONS = ("modelyard.io", "v1alpha1", "modelversions")
INFERENCESERVICES = ("modelyard.io", "v1alpha1", "inferenceservices")


@kopf.index(*MODELVERSIONS)
async def modelversions_by_model(body: kopf.Body, **_: Any) -> dict[tuple[str, str], VersionRecord] | None:
    record = record_from_body(body)
    return None if record is None else {(record.namespace, record.model): record}


@kopf.index(*MODELVERSIONS)
async def modelversions_by_name(body: kopf.Body, namespace: str | None, name: str,
                                **_: Any) -> dict[tuple[str, str], Any]:
    return {(namespace or "", name): calculate_slim_body(body)}  # what a nudge decides from, no more


@kopf.index(*MODELVERSIONS)
async def modelversions_by_holder(body: kopf.Body, namespace: str | None, name: str,
                                  **_: Any) -> dict[tuple[str, str], str]:
    return {(namespace or "", holder): name for holder in recorded_holders(body)}


@kopf.index(*INFERENCESERVICES)
async def inferenceservices_by_modelversion(body: kopf.Body, namespace: str | None,
                                            **_: Any) -> dict[tuple[str, str], Usage]:
    return {(namespace or "", mv): usage for mv, usage in usages_from_inferenceservice(body).items()}
