"""TrainingJob handlers: level-based (resume/create/update plus a resync timer)."""

from __future__ import annotations

import os
from typing import Any

import kopf

from modelyard.adapters.telemetry import instrumented
from modelyard.controller.common import utcnow
from modelyard.controller.trainingjob import reconcile_trainingjob, should_skip

RESOURCE = ("modelyard.io", "v1alpha1", "trainingjobs")
RESYNC_SECONDS = float(os.environ.get("MODELYARD_RESYNC_SECONDS", "5"))


@kopf.on.resume(*RESOURCE, timeout=120, retries=None, backoff=5)
@kopf.on.create(*RESOURCE, timeout=120, retries=None, backoff=5)
@kopf.on.update(*RESOURCE, timeout=120, retries=None, backoff=5)
@instrumented("trainingjob")
async def reconcile(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    status = await reconcile_trainingjob(memo.kube, dict(body), utcnow())
    if status:
        patch.setdefault("status", {}).update(status)


@kopf.timer(*RESOURCE, interval=RESYNC_SECONDS, timeout=120, backoff=5)
@instrumented("trainingjob")
async def resync(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    if should_skip(dict(body), utcnow()):
        return
    status = await reconcile_trainingjob(memo.kube, dict(body), utcnow())
    if status:
        patch.setdefault("status", {}).update(status)
