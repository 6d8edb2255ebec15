"""InferenceService handlers: resume/create/update and a resync timer, each a few lines."""

from __future__ import annotations

import os
from typing import Any

import kopf

from modelyard.adapters.telemetry import instrumented
from modelyard.controller.common import utcnow
from modelyard.controller.inferenceservice import (
    Deps,
    default_providers,
    reconcile_inferenceservice,
    should_skip_resync,
)

RESOURCE = ("modelyard.io", "v1alpha1", "inferenceservices")
INDEX = "modelversions_by_model"  # the kopf index of handlers/indexes.py, passed by name
RESYNC_SECONDS = float(os.environ.get("MODELYARD_RESYNC_SECONDS", "5"))


def _deps(memo: kopf.Memo, index: Any) -> Deps:
    return Deps(kube=memo.kube, image=memo.settings.serving_image, providers=default_providers(), index=index)


def _write(patch: kopf.Patch, status: dict[str, Any]) -> None:
    if status:
        patch.setdefault("status", {}).update(status)


@kopf.on.resume(*RESOURCE, timeout=300, backoff=5)
@kopf.on.create(*RESOURCE, timeout=300, backoff=5)
@kopf.on.update(*RESOURCE, timeout=300, backoff=5)
@instrumented("inferenceservice")
async def reconcile(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
    _write(patch, await reconcile_inferenceservice(dict(body), _deps(memo, kw[INDEX]), utcnow()))


@kopf.timer(*RESOURCE, interval=RESYNC_SECONDS, initial_delay=RESYNC_SECONDS, timeout=300, backoff=5)
@instrumented("inferenceservice")
async def resync(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **kw: Any) -> None:
    if not should_skip_resync(dict(body), kw[INDEX]):
        _write(patch, await reconcile_inferenceservice(dict(body), _deps(memo, kw[INDEX]), utcnow()))
