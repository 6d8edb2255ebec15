"""TrainingJob handlers: level-based (resume/create/update plus a resync timer).

A generation's first pass belongs to the create/update/resume handler (the status does not describe it
yet), whose status kopf writes in its own patch; every later pass to the timer, which reads the object
afresh and writes the status itself (a kopf timer whose patch is refused stops for good). When kopf's patch
after the handler is refused, the timer takes the generation over a grace later (core.training_takeover).
One pass at a time per object.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from typing import Any

import kopf

from modelyard.adapters.telemetry import instrumented
from modelyard.controller.common import utcnow
from modelyard.controller.trainingjob import owns_generation, reconcile_change, resync_trainingjob

RESOURCE = ("modelyard.io", "v1alpha1", "trainingjobs")
RESYNC_SECONDS = float(os.environ.get("MODELYARD_RESYNC_SECONDS", "5"))
#: How long kopf's patch after the change handler gets before the timer takes the generation over: at least
#: kopf's first two retries of a refused patch (its error backoffs start 1 s, 1 s), at least one resync.
TAKEOVER_GRACE = timedelta(seconds=max(RESYNC_SECONDS, 2.0))


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
        status = await reconcile_change(memo.kube, memo, dict(body), utcnow())
    if status:
        patch.setdefault("status", {}).update(status)


@kopf.timer(*RESOURCE, interval=RESYNC_SECONDS, timeout=120, backoff=5)
@instrumented("trainingjob")
async def resync(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    async with _one_pass_at_a_time(memo):
        await resync_trainingjob(memo.kube, memo, dict(body), utcnow(), TAKEOVER_GRACE)
