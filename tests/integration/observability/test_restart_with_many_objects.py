"""An operator starting over more existing objects than a kopf worker bound once froze at start-up: each
existing object is indexed in a worker of its own that holds its slot until every object is indexed. The
operator now runs kopf's workers unbounded: started over many objects it reconciles them, and new ones."""

from __future__ import annotations

from modelyard.adapters.kube import MODELVERSIONS
from tests.integration.conftest import SandboxHandle
from tests.integration.observability.helpers import NAMESPACE, example

EXISTING = 45  # more than any worker bound the operator ever shipped with (20)


def _version(i: int) -> dict[str, object]:
    body = example("ModelVersion", f"many-{i}")
    body["spec"]["model"] = f"many{i}"  # type: ignore[index]
    return body


async def _phase(sandbox: SandboxHandle, name: str) -> str | None:
    obj = await sandbox.kube.get_or_none(MODELVERSIONS, NAMESPACE, name)
    return ((obj or {}).get("status") or {}).get("phase")


async def test_start_over_many_existing_objects_reconciles_them_and_new_ones(sandbox_cluster: SandboxHandle) -> None:
    sandbox = sandbox_cluster  # no operator yet: the objects exist before it starts, none reconciled
    for i in range(EXISTING):
        await sandbox.kube.create(MODELVERSIONS, NAMESPACE, _version(i))
    assert await _phase(sandbox, "many-0") is None
    await sandbox.cluster.restart_operator()  # starts one: it lists all of them at start-up
    await sandbox.kube.create(MODELVERSIONS, NAMESPACE, _version(EXISTING))
    for i in (EXISTING, *range(EXISTING)):
        await sandbox.wait_for(lambda n=f"many-{i}": _phase(sandbox, n), timeout=20,
                               message=f"ModelVersion many-{i} reconciled after the restart")
