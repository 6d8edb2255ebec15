"""Start the kopf operator with Modelyard's settings (the ``modelyard run`` command)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

import kopf

from modelyard.config import Settings

logger = logging.getLogger(__name__)


def run(ours: Settings, *, stop_flag: asyncio.Event | threading.Event | None = None,
        ready_flag: asyncio.Event | threading.Event | None = None) -> None:
    """Run the operator until stopped (blocking)."""
    import modelyard.handlers  # noqa: F401  (registers the handlers)

    kopf.configure(verbose=ours.log_level == "DEBUG", log_format=_log_format(ours.log_format))
    asyncio.run(operate(ours, stop_flag=stop_flag, ready_flag=ready_flag))


async def operate(ours: Settings, *, stop_flag: asyncio.Event | threading.Event | None = None,
                  ready_flag: asyncio.Event | threading.Event | None = None) -> None:
    """Run the operator in the current event loop until ``stop_flag`` is set.

    On the flag the operator task is cancelled rather than handed kopf's own stop flag: kopf's graceful
    path waits up to 5 s for in-flight sub-tasks (an API request retrying during shutdown), while its
    cancellation path stops them at once. Cleanup handlers run on both paths.
    """
    import modelyard.handlers  # noqa: F401  (registers the handlers)

    if ours.log_level != "DEBUG":
        quiet_routine_successes()
    running = asyncio.create_task(kopf.operator(
        memo=kopf.Memo(settings=ours),
        clusterwide=not ours.namespaces,
        namespaces=ours.namespaces,
        standalone=ours.standalone,
        priority=ours.priority,
        peering_name=ours.peering_name,
        liveness_endpoint=ours.liveness_endpoint,
        ready_flag=ready_flag,
    ))
    if stop_flag is None:
        await running
        return
    stopping = asyncio.create_task(_wait(stop_flag))
    done, _ = await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if running in done:
        stopping.cancel()
        await running  # re-raise what ended it
        return
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running


async def _wait(flag: asyncio.Event | threading.Event) -> None:
    if isinstance(flag, asyncio.Event):
        await flag.wait()
    else:
        while not await asyncio.to_thread(flag.wait, 1.0):
            pass


def _log_format(name: str) -> kopf.LogFormat:
    return kopf.LogFormat.JSON if name == "json" else kopf.LogFormat.PLAIN


class _RoutineSuccess(logging.Filter):
    """Drops kopf's INFO line for every handler, timer and daemon run that succeeded ("Handler 'x'
    succeeded.", "Creation is processed: ..."): at 1,000 objects about 50,000 lines a minute of nothing
    happening. Failures, retries and everything at WARNING and above still go through; DEBUG keeps all."""

    ROUTINE = (" succeeded.", "is processed: ")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        message = record.getMessage()
        return not (message.endswith(self.ROUTINE[0]) or self.ROUTINE[1] in message)


def quiet_routine_successes() -> None:
    """Install :class:`_RoutineSuccess` on kopf's per-object logger (once)."""
    target = logging.getLogger("kopf.objects")
    if not any(isinstance(f, _RoutineSuccess) for f in target.filters):
        target.addFilter(_RoutineSuccess())
