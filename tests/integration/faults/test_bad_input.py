"""Bad input fuzzing: many malformed TrainingJobs, ModelVersions and InferenceServices (hypothesis, from the
valid examples broken at random paths, with values from beyond the schema). Each is refused by the API
(400/422) or gets a status (Stalled/InvalidSpec, or reconciled when the mutation happened to be valid); the
operator never crashes and still reconciles a good object created afterwards."""

from __future__ import annotations

import asyncio
import copy
import os
import zlib
from collections import Counter
from collections.abc import Coroutine
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from modelyard.adapters.kube import ApiError
from tests.integration.conftest import SandboxHandle
from tests.integration.observability.helpers import KINDS, NAMESPACE, condition, example, get, reconciled

SEED = int(os.environ.get("MODELYARD_FUZZ_SEED", "9"))
EXAMPLES = int(os.environ.get("MODELYARD_FUZZ_EXAMPLES", "40"))  # per kind
T = TypeVar("T")

JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
    st.sampled_from(["", "x" * 5000, "-1", "NaN", "1e309", "../../etc", "s3://", "sha256:zz", "5x", "0s"]),
)
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=8)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``value`` (dict keys and list indexes)."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*prefix, i))
    return out


def mutate(body: dict[str, Any], path: tuple[Any, ...], how: str, value: Any) -> dict[str, Any]:
    """``body`` with the value at ``path`` replaced, deleted, or given an unknown sibling key."""
    body = copy.deepcopy(body)
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "delete" and isinstance(parent, dict):
        del parent[last]
    elif how == "unknown-key" and isinstance(parent, dict):
        parent[f"unknown{zlib.crc32(repr(value).encode()) % 1000}"] = value  # stable across processes
    else:
        parent[last] = value
    return body


@st.composite
def malformed(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    body = example(kind, "placeholder")
    for _ in range(draw(st.integers(1, 3))):
        targets = [("spec", *p) for p in paths(body.get("spec") or {})] or [("spec",)]
        path = draw(st.sampled_from(targets))
        body = mutate(body, path, draw(st.sampled_from(["replace", "delete", "unknown-key"])), draw(JSON_VALUES))
    return body


def _run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)


def fuzz_kind(sandbox: SandboxHandle, loop: asyncio.AbstractEventLoop, kind: str,
              outcomes: Counter[str], accepted: list[tuple[str, str]]) -> None:
    """Hypothesis drives this (in a worker thread); each example goes to the API in the test's loop."""
    counter = iter(range(10**6))

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(malformed(kind))
    def one(body: dict[str, Any]) -> None:
        name = f"fuzz-{kind.lower()}-{next(counter)}"
        body["metadata"] = {"name": name, "namespace": NAMESPACE}
        try:
            _run(loop, sandbox.kube.create(KINDS[kind], NAMESPACE, body))
        except ApiError as e:
            assert e.status in (400, 422), f"{kind} refused with {e.status}, not 400/422: {e}"
            outcomes[f"{kind} refused {e.status}"] += 1
            return
        accepted.append((kind, name))

    one()


async def _final_state(sandbox: SandboxHandle, kind: str, name: str) -> str | None:
    obj = await get(sandbox.kube, kind, name)
    if not reconciled(obj):
        return None
    stalled = condition(obj, "Stalled")
    if stalled and stalled.get("status") == "True" and stalled.get("reason") == "InvalidSpec":
        assert (condition(obj, "Ready") or {}).get("status") == "False", obj
        return "stalled InvalidSpec"
    return "reconciled"


async def test_malformed_objects_are_refused_or_reported(sandbox: SandboxHandle) -> None:
    loop = asyncio.get_running_loop()
    outcomes: Counter[str] = Counter()
    accepted: list[tuple[str, str]] = []
    for kind in KINDS:
        await asyncio.to_thread(fuzz_kind, sandbox, loop, kind, outcomes, accepted)
    for kind, name in accepted:
        state = await sandbox.wait_for(lambda k=kind, n=name: _final_state(sandbox, k, n), timeout=20,
                                       message=f"{kind} {name} reported")
        outcomes[f"{kind} {state}"] += 1
    assert sandbox.cluster.operator_running, "the operator died"
    for kind in KINDS:  # and it still reconciles good objects
        await sandbox.kube.create(KINDS[kind], NAMESPACE, example(kind, f"good-{kind.lower()}"))
        await sandbox.wait_for(lambda k=kind: _final_state(sandbox, k, f"good-{k.lower()}"), timeout=20)
    runs = sum(outcomes.values())
    print(f"\nfuzz summary seed={SEED}: runs={runs} accepted={len(accepted)} final states checked={len(accepted) + 3} "
          + " ".join(f"[{k}: {v}]" for k, v in sorted(outcomes.items())))
    assert runs >= 3 * EXAMPLES // 2  # hypothesis may stop a little early on a small search space
