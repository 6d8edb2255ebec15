"""A batch of TrainingJobs costs a bounded number of status writes and Events per job.

The benchmark found ~18 status writes and Events per job at N=1000 where a run needs about four: the resync
timer decided from a body older than the operator's last write (kopf refreshes a timer's body only when
the object's watch event is processed, which waits for a worker slot under load) and re-posted the same
transition on every tick. Under load here too (30 jobs, 0.2 s resync, a few pods each), the counts stay
at what the transitions need.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import AsyncIterator

import pytest

import modelyard.config
from modelyard.adapters.kube import EVENTS, MODELVERSIONS, TRAININGJOBS
from modelyard.sandbox.controllers import Outcome
from tests.integration.conftest import SandboxHandle, _handle, _start

from .test_trainingjob import NS, REPORT, trainingjob

N = 30
#: Job created, Running, Succeeded and registered (one pass), plus one spare for a Pending pass. Before
#: the fix: up to 15 of each per job here.
MAX_STATUS_WRITES, MAX_EVENTS = 4, 4


WORKERS = 3  # kopf's worker slots: few, so watch events queue for a slot as they do with 1,000 objects


@pytest.fixture
async def loaded(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SandboxHandle]:
    """The sandbox with an operator of few worker slots: the timers' bodies lag behind the API."""
    cluster = await _start(operator=False)
    monkeypatch.setattr(modelyard.config, "Settings", functools.partial(modelyard.config.Settings,
                                                                         max_workers=WORKERS))
    try:
        await cluster._start_operator()
        yield _handle(cluster)
    finally:
        await cluster.stop()


async def _all_registered(sandbox: SandboxHandle) -> bool:
    items = await sandbox.kube.list(TRAININGJOBS, NS)
    return len(items) == N and all((tj.get("status") or {}).get("modelVersion") for tj in items)


async def test_a_batch_of_jobs_writes_each_status_a_few_times_not_once_per_resync(loaded: SandboxHandle) -> None:
    sandbox = loaded
    mark = sandbox.requests.mark()
    for i in range(N):
        name = f"batch-{i:02d}"
        sandbox.behaviours.add(Outcome(exit_code=0, message=REPORT, run_seconds=1.0),
                               labels={"modelyard.io/trainingjob": name})
        await sandbox.kube.create(TRAININGJOBS, NS, trainingjob(name, version=f"v{i}"))
    await sandbox.wait_for(lambda: _all_registered(sandbox), timeout=60, message="all registered")
    writes = Counter(r.name for r in sandbox.requests.select(since=mark, verb="patch", plural="trainingjobs",
                                                                subresource="status"))
    events = Counter(e["involvedObject"]["name"] for e in await sandbox.kube.list(EVENTS, NS)
                     if e["involvedObject"]["kind"] == "TrainingJob")
    assert len(await sandbox.kube.list(MODELVERSIONS, NS)) == N
    assert max(writes.values()) <= MAX_STATUS_WRITES, writes.most_common(5)
    assert sum(writes.values()) <= 3.5 * N, sum(writes.values())
    assert max(events.values()) <= MAX_EVENTS, events.most_common(5)
    assert sandbox.requests.count(since=mark, verb="create", plural="jobs") == N  # one pass created each
    assert not [r for r in sandbox.requests.select(since=mark, verb="create") if r.code == 409
                and r.plural in ("jobs", "configmaps", "modelversions")]
