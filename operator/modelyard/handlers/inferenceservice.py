"""InferenceService handlers."""

from __future__ import annotations

from typing import Any

import kopf

from modelyard.adapters.telemetry import instrumented
from modelyard.api.inferenceservice import InferenceService
from modelyard.controller.common import utcnow
from modelyard.controller.first_status import calculate_first_status

RESOURCE = ("modelyard.io", "v1alpha1", "inferenceservices")


@kopf.on.resume(*RESOURCE)
@kopf.on.create(*RESOURCE)
@kopf.on.update(*RESOURCE)
@instrumented("inferenceservice")
async def reconcile(body: kopf.Body, patch: kopf.Patch, **_: Any) -> None:
    patch.setdefault("status", {}).update(calculate_first_status(InferenceService, dict(body), utcnow()))
