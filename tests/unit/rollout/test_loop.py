"""The rollout loop: wakes on pokes and due times, backs off on failures, ends with its object."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from modelyard.adapters.kube import ApiError
from modelyard.controller.inferenceservice import Deps, Pass
from modelyard.controller.rollout_loop import Timing, backoff, conflict_backoff, run_loop, write_status
from modelyard.controller.signals import Signals
from modelyard.controller.wakeups import Wakeups, model_topic, service_topic

FAST = Timing(poll=5.0, drift=60.0, floor=0.0, retry_max=30.0)
DEADLINE = 5.0  # seconds any wait in these tests may take before it fails


class Flag:
    """kopf's DaemonStopped, as far as the loop uses it."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def __bool__(self) -> bool:
        return self.event.is_set()

    async def wait(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        await self.event.wait()
        return True


class Script:
    """Passes that return, raise or end as told, and count themselves."""

    def __init__(self, *results: Any) -> None:
        self.results, self.calls = list(results), 0
        self.called = asyncio.Event()

    async def __call__(self) -> Pass | None:
        self.calls += 1
        self.called.set()
        result = self.results.pop(0) if self.results else Pass({}, None, True, ())
        if isinstance(result, Exception):
            raise result
        return cast(Pass | None, result)

    async def next_call(self) -> None:
        self.called.clear()
        await asyncio.wait_for(self.called.wait(), DEADLINE)

    async def until_calls(self, n: int) -> None:
        async def reached() -> None:
            while self.calls < n:
                await self.next_call()
        await asyncio.wait_for(reached(), DEADLINE)


def start(script: Script, wakeups: Wakeups, stopped: Flag, timing: Timing = FAST) -> asyncio.Task[None]:
    deps = cast(Deps, None)
    return asyncio.create_task(run_loop(deps, "ml", "iris", "u-1", wakeups=wakeups, stopped=stopped, timing=timing,
                                        one_pass=script))


async def test_a_settled_service_sleeps_until_poked_by_a_topic_it_reads() -> None:
    wakeups, stopped = Wakeups(), Flag()
    script = Script(Pass({}, None, True, (service_topic("ml", "iris"), model_topic("ml", "iris"))))
    task = start(script, wakeups, stopped)
    await script.next_call()
    await asyncio.sleep(0)
    assert script.calls == 1 and wakeups.subscribed(model_topic("ml", "iris")) == {("ml", "iris")}
    assert wakeups.poke(model_topic("ml", "other")) == 0
    assert wakeups.poke(model_topic("ml", "iris")) == 1
    await script.next_call()
    assert script.calls == 2
    stopped.event.set()
    await asyncio.wait_for(task, DEADLINE)
    assert wakeups.subscribed(model_topic("ml", "iris")) == frozenset(), "unsubscribed when it ends"


async def test_a_due_pass_runs_at_its_time_without_any_poke() -> None:
    wakeups, stopped = Wakeups(), Flag()
    soon = datetime.now(UTC) + timedelta(seconds=0.2)
    script = Script(Pass({}, soon, True, ()))
    task = start(script, wakeups, stopped)
    await script.next_call()
    await script.next_call()
    assert script.calls == 2
    stopped.event.set()
    await asyncio.wait_for(task, DEADLINE)


async def test_the_loop_ends_when_its_object_is_gone() -> None:
    script = Script(None)
    await asyncio.wait_for(start(script, Wakeups(), Flag()), DEADLINE)
    assert script.calls == 1


async def test_a_failing_pass_is_retried_and_never_ends_the_loop() -> None:
    wakeups, stopped = Wakeups(), Flag()
    script = Script(RuntimeError("boom"), ApiError(409, "Conflict", "stale"), Pass({}, None, True, ()))
    task = start(script, wakeups, stopped, Timing(poll=5.0, drift=60.0, floor=0.0, retry_max=0.0))
    await script.until_calls(3)
    await asyncio.sleep(0)
    assert script.calls == 3 and not task.done(), "settled after the third pass: asleep, not ended"
    stopped.event.set()
    await asyncio.wait_for(task, DEADLINE)


@pytest.mark.parametrize(("failures", "expected", "after_conflict"),
                         [(1, 1.0, 0.1), (2, 2.0, 0.2), (3, 4.0, 0.4), (10, 30.0, 5.0)],
                         ids=["first", "second", "third", "capped"])
def test_backoff(failures: int, expected: float, after_conflict: float) -> None:
    assert (backoff(failures, FAST), conflict_backoff(failures, FAST)) == (expected, after_conflict)


def test_resubscribing_replaces_the_topics() -> None:
    wakeups = Wakeups()
    wakeups.register(("ml", "a"))
    wakeups.subscribe(("ml", "a"), ("x", "y"))
    wakeups.subscribe(("ml", "a"), ("y", "z"))
    assert (wakeups.subscribed("x"), wakeups.subscribed("z")) == (frozenset(), {("ml", "a")})
    wakeups.unregister(("ml", "a"))
    assert wakeups.poke("y") == 0


class ConflictingKube:
    """The first status write is refused with 409; ``fresh`` is what a read then returns."""

    def __init__(self, fresh: dict[str, Any]) -> None:
        self.fresh, self.writes = fresh, []

    async def patch(self, ref: Any, namespace: str | None, name: str, body: Any, **_: Any) -> dict[str, Any]:
        self.writes.append(body["metadata"]["resourceVersion"])
        if len(self.writes) == 1:
            raise ApiError(409, "Conflict", "the object has been modified")
        return {}

    async def get_or_none(self, *_: Any) -> dict[str, Any]:
        return self.fresh


READ = {"metadata": {"name": "iris", "namespace": "ml", "uid": "u-1", "generation": 2, "resourceVersion": "10"},
        "status": {"observedGeneration": 1}}


@pytest.mark.parametrize(("change", "rewritten"), [
    ({"metadata": {**READ["metadata"], "resourceVersion": "11", "finalizers": ["modelyard.io/finalizer"]}}, True),
    ({"metadata": {**READ["metadata"], "resourceVersion": "11", "generation": 3}}, False),
    ({"metadata": {**READ["metadata"], "resourceVersion": "11",
                   "annotations": {"modelyard.io/abort": "now"}}}, False),
    ({"metadata": {**READ["metadata"], "resourceVersion": "11"}, "status": {"observedGeneration": 2}}, False),
], ids=["kopf-finalizer-only", "new-generation", "new-command", "status-moved-on"])
async def test_a_conflict_is_written_again_only_when_nothing_the_pass_read_changed(
        change: dict[str, Any], rewritten: bool) -> None:
    kube = ConflictingKube({**READ, **change})
    deps = Deps(kube=cast(Any, kube), image="img", providers=lambda _m: cast(Any, None))
    if rewritten:
        await write_status(deps, READ, {"phase": "Healthy"})
        assert kube.writes == ["10", "11"]
    else:
        with pytest.raises(ApiError):
            await write_status(deps, READ, {"phase": "Healthy"})
        assert kube.writes == ["10"], "decided on stale input: decide again, never write it"


async def test_an_unsettled_service_is_polled_on_the_real_clock_not_faster() -> None:
    wakeups, stopped = Wakeups(), Flag()
    script = Script(*[Pass({}, None, False, ()) for _ in range(10)])
    task = start(script, wakeups, stopped, Timing(poll=0.2, drift=60.0, floor=0.05, retry_max=30.0))
    started = asyncio.get_running_loop().time()
    await script.until_calls(3)
    elapsed = asyncio.get_running_loop().time() - started
    stopped.event.set()
    await asyncio.wait_for(task, DEADLINE)
    assert elapsed >= 0.35, f"3 passes of an unsettled service in {elapsed:.2f}s: polled faster than 0.2s"


@pytest.mark.parametrize(("events", "first", "expected"), [
    ([("a", 1)], True, [True]),
    ([("a", 1)], False, [False]),
    ([("a", 1), ("a", 1), ("a", 2)], False, [False, False, True]),
    ([("a", 1), ("a", None), ("a", 1)], False, [False, True, False]),
    ([("a", 1), ("b", 1)], True, [True, True]),
], ids=["first-sighting-counts", "first-sighting-ignored", "only-a-new-signature", "gone-counts-then-new-again",
        "sources-apart"])
def test_signals(events: list[tuple[str, int | None]], first: bool, expected: list[bool]) -> None:
    signals = Signals()
    assert [signals.changed(source, sig, first=first) for source, sig in events] == expected
