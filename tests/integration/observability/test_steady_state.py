"""Steady state: with nothing changing the operator writes nothing, and its timers do not busy-loop."""

from __future__ import annotations

import asyncio
import os

from modelyard.adapters.telemetry import REGISTRY
from modelyard.core.modelversion import is_settled
from tests.integration.conftest import SandboxHandle
from tests.integration.observability.helpers import KINDS, NAMESPACE, example, get, reconciled

PER_KIND = 4
WINDOW = 3.0  # seconds measured
RESYNC = float(os.environ["MODELYARD_RESYNC_SECONDS"])  # set by tests/integration/conftest.py
READS_PER_TICK = 3  # what one timer tick of an unsettled object may read


def _ticks(controller: str) -> float:
    return sum(REGISTRY.get_sample_value("modelyard_reconcile_total", {"controller": controller, "result": r}) or 0
               for r in ("success", "error"))


async def _quiet(sandbox: SandboxHandle, seconds: float) -> bool:
    """No write at all during ``seconds`` (the settling condition, polled with a deadline by wait_for)."""
    mark = sandbox.requests.mark()
    await asyncio.sleep(seconds)
    return sandbox.requests.count(since=mark, writes_only=True) == 0


async def test_no_writes_and_no_busy_timers_when_nothing_changes(sandbox: SandboxHandle) -> None:
    names = {kind: [f"steady-{kind.lower()}-{i}" for i in range(PER_KIND)] for kind in KINDS}
    for kind, objs in names.items():
        for name in objs:
            await sandbox.kube.create(KINDS[kind], NAMESPACE, example(kind, name))
    for kind, objs in names.items():
        for name in objs:
            await sandbox.wait_for(lambda k=kind, n=name: _is_reconciled(sandbox, k, n), timeout=20)
    await sandbox.wait_for(lambda: _quiet(sandbox, 1.0), timeout=20, message="a quiet second")

    bodies = [await get(sandbox.kube, "ModelVersion", n) for n in names["ModelVersion"]]
    unsettled = sum(1 for b in bodies if b is not None and not is_settled(b))
    mark, ticks_before = sandbox.requests.mark(), _ticks("modelversion")
    await asyncio.sleep(WINDOW)
    requests = sandbox.requests.select(since=mark)
    ticks = _ticks("modelversion") - ticks_before

    writes = [(r.verb, r.plural, r.name, r.subresource) for r in requests if r.is_write]
    reads = [r for r in requests if not r.is_write and r.verb != "watch"]
    tick_bound = PER_KIND * (WINDOW / RESYNC) * 1.5 + PER_KIND
    read_bound = unsettled * (WINDOW / RESYNC) * READS_PER_TICK
    print(f"\nsteady state over {WINDOW}s: {len(writes)} writes, {len(reads)} reads "
          f"({len(reads) / WINDOW:.1f}/s, bound {read_bound / WINDOW:.1f}/s), {ticks:.0f} timer ticks "
          f"(bound {tick_bound:.0f}), {unsettled} unsettled ModelVersions, resync {RESYNC}s")
    assert writes == []
    assert len(reads) <= read_bound, [(r.verb, r.plural, r.name) for r in reads]
    settled_names = {n for n, b in zip(names["ModelVersion"], bodies, strict=True) if b is not None and is_settled(b)}
    assert not [r for r in reads if r.name in settled_names], "settled objects were read"
    assert ticks <= tick_bound, f"timers busy-loop: {ticks} ticks"


async def _is_reconciled(sandbox: SandboxHandle, kind: str, name: str) -> bool:
    return reconciled(await get(sandbox.kube, kind, name))
