"""The metrics provider failing or answering garbage under a real canary: each reading is counted as an
Error or Inconclusive by the analysis rules (``consecutiveErrorLimit``, ``inconclusiveLimit``), never as a
pass, and the canary never advances on it.

The provider is injected in place of ``adapters.metrics.factory.provider_for``, as the rollout tests do.
The real PrometheusMetricsProvider's answers to the same garbage are checked at the unit tier
(``tests/unit/metrics/test_prometheus*.py``).
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from modelyard.adapters.kube import INFERENCESERVICES
from modelyard.adapters.metrics import factory
from modelyard.adapters.metrics.base import Target
from modelyard.api.inferenceservice import AnalysisMetric
from modelyard.core.measurement import Measurement
from tests.integration.conftest import SandboxHandle
from tests.integration.rollout.conftest import FAST_ROLLOUT, NS, Rollout, condition, inferenceservice
from tests.integration.rollout.test_rollout_sandbox import stable_is

ERROR_LIMIT, INCONCLUSIVE_LIMIT = 1, 1
# A long pause after 25%: the verdict comes long before it ends, so an advance could only be a pass.
ROLLOUT = {**FAST_ROLLOUT, "steps": [{"setWeight": 25}, {"pause": {"duration": "4s"}}, {"setWeight": 50}]}
ANALYSIS = {"interval": "200ms", "consecutiveErrorLimit": ERROR_LIMIT, "inconclusiveLimit": INCONCLUSIVE_LIMIT,
            "metrics": [{"name": "errors", "threshold": {"max": 0.05}, "minRequests": 0,
                         "provider": {"builtin": {"metric": "errorRate"}}}]}


async def _timeout() -> Measurement:
    await asyncio.sleep(0.3)
    raise TimeoutError("the provider did not answer within 0.3s")


async def _raise() -> Measurement:
    raise RuntimeError("provider bug")


def reading(**kw: Any) -> Callable[[], Any]:
    async def measure() -> Measurement:
        return Measurement("errors", datetime.now().astimezone(), **kw)
    return measure


# name -> (what the provider does, the verdict the analysis rules give it)
GARBAGE: dict[str, tuple[Callable[[], Any], str]] = {
    "nan": (reading(value=math.nan, requests=100.0), "Inconclusive"),
    "plus-inf": (reading(value=math.inf, requests=100.0), "Inconclusive"),
    "minus-inf": (reading(value=-math.inf, requests=100.0), "Inconclusive"),
    "empty-vector": (reading(value=None, requests=100.0), "Error"),
    "several-series": (reading(error="query returned 2 series, expected one"), "Error"),
    "non-numeric": (reading(error="non-numeric sample 'abc'"), "Error"),
    "raises": (_raise, "Error"),
    "timeout": (_timeout, "Error"),
    "nan-traffic": (reading(value=0.0, requests=math.nan), "Inconclusive"),  # a passing value is no pass
}
class GarbageProviders:
    """Stands in for the provider factory: the metric's name picks the garbage (one InferenceService each)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, metric: AnalysisMetric) -> GarbageProviders:
        return self

    async def measure(self, metric: AnalysisMetric, target: Target, now: datetime) -> Measurement:
        self.calls[metric.name] += 1
        m: Measurement = await GARBAGE[metric.name][0]()
        return Measurement(metric.name, now, value=m.value, requests=m.requests, error=m.error)


@pytest.fixture
def garbage(monkeypatch: pytest.MonkeyPatch) -> Iterator[GarbageProviders]:
    providers = GarbageProviders()
    monkeypatch.setattr(factory, "provider_for", providers)
    yield providers


def counters(st: dict[str, Any]) -> dict[str, int]:
    metrics = (st.get("analysis") or {}).get("metrics") or [{}]
    return {k: int(metrics[0].get(k, 0)) for k in ("successful", "failed", "inconclusive", "errors")}


def service(case: str) -> dict[str, Any]:
    body = inferenceservice({"modelVersion": "iris-v1"}, rollout=ROLLOUT, analysis={
        **ANALYSIS, "metrics": [{**ANALYSIS["metrics"][0], "name": case}]})
    body["metadata"]["name"] = f"g-{case}"
    return body


async def status_of(sandbox: SandboxHandle, case: str) -> dict[str, Any]:
    obj = await sandbox.kube.get(INFERENCESERVICES, NS, f"g-{case}")
    return dict(obj.get("status") or {})


async def until(sandbox: SandboxHandle, case: str, check: Callable[[dict[str, Any]], bool], what: str,
                within: float = 20.0) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        st = await status_of(sandbox, case)
        return st if check(st) else None
    return await sandbox.wait_for(probe, timeout=within, message=f"g-{case}: {what}")


async def judge_one(sandbox: SandboxHandle, case: str, within: float = 20.0) -> dict[str, int]:
    """Serve v1, pin v2 whose every reading is ``case``'s garbage; check how the analysis counts it."""
    expected = GARBAGE[case][1]
    await until(sandbox, case, stable_is("iris-v1"), "v1 healthy")
    await sandbox.kube.patch(INFERENCESERVICES, NS, f"g-{case}", {"spec": {"model": {"modelVersion": "iris-v2"}}})
    weights: set[int] = set()
    seen: dict[str, int] = {}

    def judged(st: dict[str, Any]) -> bool:
        weights.add(int(st.get("canaryWeight", 0)))
        seen.update({k: max(v, seen.get(k, 0)) for k, v in counters(st).items()})
        return (st.get("analysis") or {}).get("verdict") == expected or "iris-v2" in (st.get("rejected") or [])

    await until(sandbox, case, judged, f"analysis {expected}", within)
    if expected == "Error":
        st = await until(sandbox, case, lambda s: judged(s) and condition(s, "Stalled") == ("True", "RolledBack"),
                         "rolled back")
        assert st["stable"]["modelVersion"] == "iris-v1" and "canary" not in st, case
        assert {m["verdict"] for m in st["rejections"][0]["measurements"]} == {"Error"}, (case, st["rejections"])
        assert seen["errors"] <= ERROR_LIMIT + 1, (case, seen)
    else:
        await asyncio.sleep(1.0)  # paused: no more readings judged, no step taken
        st = await status_of(sandbox, case)
        judged(st)
        assert st["phase"] == "Paused" and condition(st, "Reconciling") == ("True", "AnalysisInconclusive"), case
        assert seen["inconclusive"] == INCONCLUSIVE_LIMIT + 1, (case, seen)
    assert weights <= {0, 25}, f"{case}: the canary advanced on garbage: weights {sorted(weights)}"
    assert seen["successful"] == 0 and seen["failed"] == 0, (case, seen)
    return seen


async def test_garbage_is_never_a_pass(sandbox: SandboxHandle, garbage: GarbageProviders) -> None:
    r = Rollout(sandbox)
    await r.version("iris-v1")
    await r.version("iris-v2")
    for case in GARBAGE:
        await sandbox.kube.create(INFERENCESERVICES, NS, service(case))
    results = await asyncio.gather(*(judge_one(sandbox, case) for case in GARBAGE), return_exceptions=True)
    failures = {case: res for case, res in zip(GARBAGE, results, strict=True) if isinstance(res, BaseException)}
    for case, res in zip(GARBAGE, results, strict=True):
        print(f"\nmetrics garbage [{case}]: {garbage.calls[case]} readings -> "
              f"{GARBAGE[case][1] if case not in failures else 'FAILED'}: {res}")
    assert not failures, failures
    assert all(garbage.calls[case] >= 1 for case in GARBAGE), garbage.calls
