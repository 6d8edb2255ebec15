"""TrainingJob status writes refused with 409 (kopf's after the create handler, and the timer's own): every
TrainingJob still gets its status and finishes, each transition written once."""

from __future__ import annotations

import os
from collections import Counter

from modelyard.sandbox.faults import FaultRule
from tests.integration.conftest import SandboxHandle
from tests.integration.faults.test_api_faults import OURS, fault_object
from tests.integration.observability.helpers import KINDS, NAMESPACE, get

SEED = int(os.environ.get("MODELYARD_FAULT_SEED", "20261122"))
COUNT = 4
MAX_ACCEPTED = 6  # kopf's finalizer, annotation, release check + first status, Running, Succeeded (baseline 6)


async def test_trainingjobs_converge_when_status_writes_are_refused(sandbox: SandboxHandle) -> None:
    sandbox.faults.reseed(SEED)
    rule = sandbox.faults.add(FaultRule(group=OURS, plural="trainingjobs", subresource="status", verb="patch",
                                        status=409, probability=0.5, times=12))
    mark = sandbox.requests.mark()
    names = [f"fault-trainingjob-{i}" for i in range(COUNT)]
    for i in range(COUNT):
        await sandbox.kube.create(KINDS["TrainingJob"], NAMESPACE, fault_object("TrainingJob", i))
    for name in names:
        await sandbox.wait_for(lambda n=name: _succeeded(sandbox, n), timeout=30, message=f"{name} Succeeded")
    writes = sandbox.requests.select(since=mark, writes_only=True, group=OURS, plural="trainingjobs")
    accepted = Counter(r.name for r in writes if r.code < 400 and r.name)  # not the creates
    refused = sum(1 for r in writes if r.code == 409)
    assert refused == rule.hits and rule.hits > 0
    assert max(accepted.values()) <= MAX_ACCEPTED, accepted
    print(f"\ntrainingjob conflicts seed={SEED}: 409s injected={rule.hits} accepted writes/object={dict(accepted)}")


async def _succeeded(sandbox: SandboxHandle, name: str) -> bool:
    obj = await get(sandbox.kube, "TrainingJob", name) or {}
    status = obj.get("status") or {}
    return status.get("phase") == "Succeeded" and status.get("observedGeneration") == obj["metadata"]["generation"]
