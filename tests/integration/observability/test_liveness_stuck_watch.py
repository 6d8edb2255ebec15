"""Liveness fails while a watch is stuck (the API holds what the watch never delivers), and recovers after.

kopf answers /healthz from probe results cached for 10s, so /healthz is not called during start-up (a
healthy answer cached then would hide the lag): the test waits for the operator's ModelVersion watch in
the sandbox's request log instead, and the hold is just long enough for one cached answer to expire.
"""

from __future__ import annotations

from pathlib import Path

from modelyard.adapters.kube import MODELVERSIONS
from tests.integration.conftest import SandboxHandle
from tests.integration.observability.helpers import NAMESPACE, OperatorProcess, example

PROBE_CACHE = 10.0  # kopf answers /healthz from probe results up to 10s old
HANG = 14.0  # how long the sandbox holds the operator's ModelVersion watch: past one cache expiry


async def test_liveness_fails_while_a_watch_is_stuck_and_recovers(
        sandbox_cluster: SandboxHandle, tmp_path: Path) -> None:
    # The ModelVersion watch hangs after the initial listing: the operator is blind to new ModelVersions.
    faults = sandbox_cluster.faults
    faults.add(verb="watch", plural="modelversions", delay=HANG, times=1)
    mark = sandbox_cluster.requests.mark()
    proc = OperatorProcess(sandbox_cluster.kubeconfig, tmp_path / "operator.log",
                           env={"MODELYARD_WATCH_STUCK_SECONDS": "2"})
    try:
        def watching() -> bool:
            assert proc.proc.poll() is None, f"the operator exited:\n{proc.log_text()[-3000:]}"
            return sandbox_cluster.requests.count(since=mark, verb="watch", plural="modelversions") > 0

        await sandbox_cluster.wait_for(watching, timeout=30, interval=0.1, message="the operator's ModelVersion watch")
        await sandbox_cluster.kube.create(MODELVERSIONS, NAMESPACE, example("ModelVersion", "unseen"))
        assert (await proc.fetch(proc.healthz))[0] == 200  # first sight of the lag: within grace
        faults.clear()

        async def status_is(code: int) -> tuple[int, str] | None:
            answer = await proc.fetch(proc.healthz)
            return answer if answer[0] == code else None

        status, body = await sandbox_cluster.wait_for(lambda: status_is(500), timeout=PROBE_CACHE + 3, interval=0.5,
                                                      message="liveness failing while the watch is held")
        assert status == 500, body
        await sandbox_cluster.wait_for(lambda: status_is(200), timeout=HANG + PROBE_CACHE, interval=0.5,
                                       message="liveness back once the held watch answers")
    finally:
        proc.stop()
