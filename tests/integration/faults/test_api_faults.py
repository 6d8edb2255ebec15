"""The API failing under the operator: 500s, 429 with Retry-After, 409 conflicts, slow answers, dropped
watches. Every object still gets its status, the operator backs off, and it does not hot-loop."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from typing import Any

import pytest

from modelyard.sandbox.faults import FaultRule
from tests.integration.conftest import SandboxHandle
from tests.integration.observability.helpers import KINDS, NAMESPACE, example, get, reconciled

SEED = int(os.environ.get("MODELYARD_FAULT_SEED", "20261122"))
PER_KIND = 3
# Seconds each object gets to reach its final phase. The InferenceService loop backs off exponentially after
# its third refused pass in a row, up to 30 s (controller/rollout_loop.py run_loop, Timing.retry_max); five
# injected 409s in a row on one service (409-conflicts, seed 2) took it 29.8 s to settle.
DEADLINE = 45.0
OURS = "modelyard.io"
# Accepted writes per object, by kind (3 objects a kind, each InferenceService tracking its own model with one
# ModelVersion, so everything settles). Measured over the six cases below, seeds 20261122 and 1-4 (30 runs):
# - ModelVersion 6 in every run: kopf's finalizer (its JSON patch), the protection finalizer, kopf's last-handled
#   annotation, and one status write per state: Registered, served by its InferenceService, ArtifactVerified.
# - InferenceService 4 in every run: kopf's finalizer (its daemon) and three statuses written by the rollout loop.
# - TrainingJob 3-6: kopf's finalizer and annotation, the first status (kopf's patch after the change handler),
#   then Running and Succeeded; a slow or dropped watch shows one intermediate state more (6, dropped-watches).
# The cap is the measured maximum plus one state a faulty API may expose separately; a retry of a refused write
# replaces it and is not counted here, and a loop goes far past it. Every status write of ours carries the
# resourceVersion it was decided from, so no late retry sets an older status back (see docs/observability.md).
MAX_ACCEPTED_WRITES = {"modelversions": 6 + 1, "inferenceservices": 4 + 1, "trainingjobs": 6 + 1}

SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "500s": [dict(group=OURS, verb="patch", status=500, probability=0.5, times=20)],
    "429-retry-after": [dict(group=OURS, verb="patch", status=429, retry_after=1, times=6)],
    "slow-responses": [dict(group=OURS, delay=0.3), dict(plural="events", delay=0.3)],
    "dropped-watches": [dict(group=OURS, drop_watch_after=1, times=15)],
    # A real API server answers 409 only to a write with a resourceVersion precondition (ours carry one; kopf's
    # merge patches do not), and kopf never retries a 409; a 5xx or 429 past kopf's backoffs (54 s) fails the
    # same way, so the 409 stands for both: a kopf patch refused for good. No status of ours goes through kopf's
    # patch after a timer (a refused one ends the timer for good); kopf's patch after a change handler is the
    # TrainingJob's first status (taken over by its timer, core/training_takeover.py) and kopf's annotation.
    "409-conflicts": [dict(group=OURS, verb="patch", subresource="status", status=409, probability=0.5, times=20)],
    "everything-at-once": [dict(group=OURS, verb="patch", status=500, probability=0.2, times=10),
                           dict(group=OURS, verb="patch", status=429, retry_after=1, probability=0.2, times=5),
                           dict(group=OURS, verb="patch", subresource="status", status=409, probability=0.2,
                                times=10),
                           dict(group=OURS, delay=0.1, probability=0.5),
                           dict(group=OURS, drop_watch_after=2, times=10)],
}
# 429: every refused write is retried with the same body 1.00-1.02 s later (kopf's api.request() takes Retry-After
# when it exceeds its backoff; ours honours it).
# 500s: kopf retries a 500'd patch with the same bytes after its backoff (1 s), without a precondition. Measured
# before the ModelVersion and InferenceService wrote their own statuses (bd3ee26, body content logged per write):
# 4 such retries in 3 of 5 seeds landed after a newer status and set the older one back (a TrainingJob from
# Succeeded to Pending; InferenceServices and a ModelVersion to a status a later pass had replaced). The writes
# over the cap were another effect of kopf's retries: kopf holds an object's watch events while it retries that
# object's refused patch, so the ModelVersion timer decided on a stale body and wrote the same status again on
# every tick (a ModelVersion: 12 accepted writes, one status body 5 times). Now the timer reads the object
# afresh and every status of ours carries a precondition: a stale retry is refused (409), never accepted. Still
# open (TrainingJob, not in this suite's caps): its first status is kopf's patch, whose retry 4 s or more later
# can land after the timer's take-over (grace 2 s).
PARAMS = [pytest.param(v, id=k) for k, v in SCENARIOS.items()]


def fault_object(kind: str, i: int) -> dict[str, Any]:
    """Object ``i`` of ``kind``: the InferenceService tracks a model of its own, with exactly one ModelVersion,
    so every object settles (a shared model would start canaries that pause for minutes)."""
    body = example(kind, f"fault-{kind.lower()}-{i}")
    if kind == "ModelVersion":
        body["spec"]["model"] = f"fault{i}"
    elif kind == "InferenceService":
        body["spec"]["model"]["track"]["model"] = f"fault{i}"
    else:
        body["spec"]["model"] = f"fault-training{i}"
    return body


@pytest.mark.parametrize("scenario", PARAMS)
async def test_operator_converges_and_does_not_hot_loop(sandbox: SandboxHandle, scenario: list[dict[str, Any]],
                                                        request: pytest.FixtureRequest) -> None:
    sandbox.faults.reseed(SEED)
    rules = [sandbox.faults.add(FaultRule(**spec)) for spec in scenario]
    mark = sandbox.requests.mark()
    names = {kind: [f"fault-{kind.lower()}-{i}" for i in range(PER_KIND)] for kind in KINDS}
    for kind in KINDS:
        for i in range(PER_KIND):
            await sandbox.kube.create(KINDS[kind], NAMESPACE, fault_object(kind, i))
    for kind, objs in names.items():
        for name in objs:
            await sandbox.wait_for(lambda k=kind, n=name: _settled(sandbox, k, n), timeout=DEADLINE,
                                   message=f"{kind} {name} reconciled under faults")
    injected = sum(r.hits for r in rules)
    sandbox.faults.clear()
    writes = [r for r in sandbox.requests.select(since=mark, writes_only=True, group=OURS) if r.name]
    accepted = Counter((r.plural, r.name) for r in writes if r.code < 400)
    over = {k: n for k, n in accepted.items() if n > MAX_ACCEPTED_WRITES[k[0]]}
    assert not over, (over, accepted)  # retries replace refused writes, no more
    # Refused by a fault: no more than the faults injected (a retry per fault, not a loop). Refused by the store
    # (a 409 on a stale resourceVersion precondition, a 422 on kopf's JSON patch test) is a lost race: at most
    # one per accepted write (each loser decides again from a fresh read or on its next tick, never in a loop).
    refused = Counter(r.code for r in writes if r.code >= 400)
    lost = Counter((r.plural, r.subresource or r.body_keys, r.user_agent.split("/")[0], r.code) for r in writes
                   if r.code >= 400 and not r.injected)
    assert lost.total() <= sum(accepted.values()), (lost, accepted)
    _assert_backed_off(sandbox, mark, scenario)
    await sandbox.wait_for(lambda: _quiet(sandbox, 1.0), timeout=10, message="no writes once the faults stop")
    assert sandbox.cluster.operator_running
    checked = sum(len(v) for v in names.values())
    print(f"\nfault summary [{request.node.callspec.id}] seed={SEED}: runs=1 faults injected={injected} "
          f"final states checked={checked} writes={len(writes)} refused={dict(refused)} "
          f"lost races={lost.total()} {dict(lost)} accepted max/object by kind={_max_by_kind(accepted)}")


def _max_by_kind(accepted: Counter[tuple[str, str]]) -> dict[str, int]:
    return {plural: max(n for (p, _), n in accepted.items() if p == plural) for plural, _ in accepted}


def _assert_backed_off(sandbox: SandboxHandle, mark: int, scenario: list[dict[str, Any]]) -> None:
    """After a 429 on an object, the retry of that write (same client, same body bytes) waits about Retry-After.
    Another write by the same client meanwhile is not a retry: kopf runs an object's handlers and its timers in
    separate tasks, each with its own patch (a ModelVersion timer's protection finalizer lands 0.02 s after the
    handler's refused finalizer patch, which kopf retries 1.00 s later)."""
    if not any(spec.get("status") == 429 and spec.get("probability", 1.0) == 1.0 for spec in scenario):
        return
    records = [r for r in sandbox.requests.select(since=mark, group=OURS) if r.verb == "patch"]
    def same(a: Any, b: Any) -> bool:
        return (a.name, a.subresource, a.user_agent, a.body_digest) == (b.name, b.subresource, b.user_agent,
                                                                        b.body_digest)
    gaps = [next((later.at - r.at for later in records[i + 1:] if same(later, r)), None)
            for i, r in enumerate(records) if r.code == 429]
    retried = [g for g in gaps if g is not None]
    print(f"\n429 retry gaps (s): {sorted(round(g, 2) for g in retried)}")
    assert retried and min(retried) >= 0.5, f"retried too soon after 429: {sorted(retried)[:5]}"


FINAL_PHASES = {"TrainingJob": "Succeeded", "ModelVersion": "Ready", "InferenceService": "Healthy"}


async def _settled(sandbox: SandboxHandle, kind: str, name: str) -> bool:
    """Reconciled, and in the final phase a run without faults reaches."""
    obj = await get(sandbox.kube, kind, name)
    return reconciled(obj) and (obj or {}).get("status", {}).get("phase") == FINAL_PHASES[kind]


async def _quiet(sandbox: SandboxHandle, seconds: float) -> bool:
    mark = sandbox.requests.mark()
    await asyncio.sleep(seconds)
    return sandbox.requests.count(since=mark, writes_only=True) == 0
