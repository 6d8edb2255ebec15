"""TrainingJob handlers: level-based (resume/create/update plus a resync timer).

A generation's first pass belongs to the create/update/resume handler (the status does not describe it
yet); every later pass to the timer, which reads the object afresh. One pass at a time per object.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import kopf

from modelyard.adapters.telemetry import instrumented
from modelyard.controller.common import utcnow
from modelyard.controller.trainingjob import owns_generation, reconcile_trainingjob, resync_trainingjob, should_skip

RESOURCE = ("modelyard.io", "v1alpha1", "trainingjobs")
RESYNC_SECONDS = float(os.environ.get("MODELYARD_RESYNC_SECONDS", "5"))


def _one_pass_at_a_time(memo: kopf.Memo) -> asyncio.Lock:
    lock: asyncio.Lock = memo.setdefault("trainingjob_pass", asyncio.Lock())  # memo is per object
    return lock


@kopf.on.resume(*RESOURCE, timeout=120, retries=None, backoff=5)
@kopf.on.create(*RESOURCE, timeout=120, retries=None, backoff=5)
@kopf.on.update(*RESOURCE, timeout=120, retries=None, backoff=5)
@instrumented("trainingjob")
async def reconcile(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    if not owns_generation(dict(body)):
        return  # the timer's
    async with _one_pass_at_a_time(memo):
        status = await reconcile_trainingjob(memo.kube, dict(body), utcnow())
    if status:
        patch.setdefault("status", {}).update(status)


@kopf.timer(*RESOURCE, interval=RESYNC_SECONDS, timeout=120, backoff=5)
@instrumented("trainingjob")
async def resync(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    if should_skip(dict(body), utcnow()):
        return
    async with _one_pass_at_a_time(memo):
        status = await resync_trainingjob(memo.kube, dict(body), utcnow())
    if status:
        patch.setdefault("status", {}).update(status)
