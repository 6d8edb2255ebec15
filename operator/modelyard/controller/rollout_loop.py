"""The per-InferenceService loop: a pass on the object as the API holds it, then sleep until it is due.

One loop per InferenceService (a kopf daemon) is the only writer of its status. Each pass reads the
object afresh (a watch-fed copy may be behind the pass before it, and deciding on it again would repeat
a transition), decides, converges the children, and writes the status with the resourceVersion it read
(a 409 means someone wrote in between: read again, decide again). It then sleeps until the decision's
own next due time (``core.rollout_timing``), or until a watch event wakes it (``controller.wakeups``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from modelyard.adapters.kube import INFERENCESERVICES, ApiError
from modelyard.controller.common import utcnow
from modelyard.controller.execute import execute
from modelyard.controller.inferenceservice import Deps, Pass, run_pass
from modelyard.controller.wakeups import Wakeups, service_source, service_topic
from modelyard.core.rollout_timing import calculate_delay, calculate_service_signal, is_same_input
from modelyard.render.serving import short_name

logger = logging.getLogger(__name__)


class Stopped(Protocol):
    """kopf's ``DaemonStopped`` as the loop uses it."""

    def __bool__(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> Awaitable[Any]: ...


@dataclass(frozen=True)
class Timing:
    """The loop's clock settings (seconds)."""

    poll: float = 5.0  # an unsettled service with nothing due sooner
    drift: float = 300.0  # a settled one: looked at again for drift
    floor: float = 0.05  # the shortest sleep (never a busy loop)
    retry_max: float = 30.0  # the longest back-off after failed passes


async def reconcile_fresh(deps: Deps, namespace: str, name: str, uid: str) -> Pass | None:
    """One pass on the InferenceService as stored now; writes its status. None when it is gone (or is another
    object of the same name, or being deleted): the loop ends."""
    body = await deps.kube.get_or_none(INFERENCESERVICES, namespace, name)
    meta = (body or {}).get("metadata") or {}
    if body is None or meta.get("uid") != uid or meta.get("deletionTimestamp"):
        return None
    now = utcnow()
    result = replace(await run_pass(body, deps, now), signal=calculate_service_signal(body))
    if result.patch:
        await write_status(deps, body, result.patch)
    await execute(deps.kube, body, result.events, now)
    return result


async def write_status(deps: Deps, body: dict[str, Any], patch: dict[str, Any]) -> None:
    """The status merge patch, on the resourceVersion the pass decided from. A 409 whose cause changed
    nothing the pass read (kopf adding its finalizer, a label) is written again on the new version; any
    other raises, and the loop decides again on a fresh read."""
    meta = body["metadata"]
    try:
        await _patch_status(deps, meta, meta.get("resourceVersion"), patch)
    except ApiError as e:
        if not e.conflict:
            raise
        fresh = await deps.kube.get_or_none(INFERENCESERVICES, meta.get("namespace"), meta["name"])
        if fresh is None or not is_same_input(body, fresh):
            raise
        await _patch_status(deps, meta, fresh["metadata"].get("resourceVersion"), patch)


async def _patch_status(deps: Deps, meta: dict[str, Any], version: str | None, patch: dict[str, Any]) -> None:
    await deps.kube.patch(INFERENCESERVICES, meta.get("namespace"), meta["name"],
                          {"metadata": {"resourceVersion": version}, "status": patch}, subresource="status")


async def run_loop(
    deps: Deps, namespace: str, name: str, uid: str, *, wakeups: Wakeups, stopped: Stopped, timing: Timing,
    one_pass: Callable[[], Awaitable[Pass | None]] | None = None,
) -> None:
    """Passes until the object is gone or the loop is stopped; failures back off, never end the loop."""
    key = (namespace, short_name(name))
    wake = wakeups.register(key)
    wakeups.subscribe(key, (service_topic(*key),))
    do_pass = one_pass or (lambda: reconcile_fresh(deps, namespace, name, uid))
    failures = 0
    try:
        while not stopped:
            wake.clear()
            try:
                result = await do_pass()
            except ApiError as e:
                failures += 1
                delay = conflict_backoff(failures, timing) if e.conflict else backoff(failures, timing)
                logger.warning("InferenceService %s/%s: pass failed (%s), again in %.1fs", namespace, name, e, delay)
            except Exception:
                failures += 1
                delay = backoff(failures, timing)
                logger.exception("InferenceService %s/%s: pass failed, again in %.1fs", namespace, name, delay)
            else:
                if result is None:
                    return
                failures = 0
                wakeups.subscribe(key, result.topics)
                if result.signal is not None:
                    wakeups.remember(service_source(namespace, name), result.signal)
                delay = calculate_delay(result.next_pass, datetime.now(UTC), floor=timing.floor,
                                        ceiling=timing.drift if result.settled else timing.poll)
            await sleep(wake, stopped, delay)
    finally:
        wakeups.unregister(key)


def conflict_backoff(failures: int, timing: Timing) -> float:
    """After a 409 someone else wrote in between: decide again soon on a fresh read (0.1, 0.2, 0.4 s...),
    never later than the poll interval."""
    return float(min(timing.poll, 0.1 * 2 ** max(0, failures - 1)))


def backoff(failures: int, timing: Timing) -> float:
    """1, 2, 4... seconds after consecutive failed passes, at most ``retry_max``."""
    return float(min(timing.retry_max, 2 ** max(0, failures - 1)))


async def sleep(wake: asyncio.Event, stopped: Stopped, delay: float) -> None:
    """Until ``delay`` passes, ``wake`` is set, or the loop is stopped."""
    waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stopped.wait())}
    try:
        await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
