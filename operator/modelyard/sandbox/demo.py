"""``modelyard sandbox demo`` (``make demo``): the whole lifecycle in the sandbox, narrated as it happens.

A script of steps; each applies an example manifest (or sends load), waits on a condition with a deadline
and prints one line; meanwhile every Event on our objects and every analysis measurement is printed as it
happens (one line each). A step whose machinery is not in this checkout yet says so plainly and the demo
exits non-zero (3); a step that fails stops the story (exit 1). The facts a test checks are kept in
``Demo.facts`` and ``Demo.marks``. Everything is written under ``.sandbox/`` (artifacts in
``.sandbox/artifacts`` as ``file://`` URIs, pod logs, the kubeconfig).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import aiohttp
import yaml

from modelyard.adapters.kube import (
    EVENTS,
    INFERENCESERVICES,
    MODELVERSIONS,
    SERVICES,
    TRAININGJOBS,
    ApiError,
    KubeClient,
)
from modelyard.sandbox.runtime.cluster import SandboxCluster
from modelyard.sandbox.runtime.load import LoadGenerator
from modelyard.sandbox.runtime.story import (
    SERVICE,
    SERVICE_EXAMPLE,
    TRAINER,
    TRAINING_EXAMPLE,
    Pace,
    condition,
    event_line,
    inferenceservice,
    measurement_lines,
    served,
    trainingjob,
    version_name,
)

JsonDict = dict[str, Any]
NS = "default"
EXIT_FAILED, EXIT_UNAVAILABLE = 1, 3


class StepFailed(Exception):
    """The story cannot go on: the message says why."""


@dataclass(frozen=True)
class Needs:
    """What a step needs in this checkout, and the branch that brings it."""

    branch: str
    modules: tuple[str, ...] = ()
    files: tuple[str, ...] = ()

    def missing(self, root: Path) -> list[str]:
        gone = [m for m in self.modules if importlib.util.find_spec(m) is None]
        return gone + [f for f in self.files if not (root / f).exists()]


TRAINING = Needs("training", ("modelyard.controller.trainingjob",), (TRAINER, TRAINING_EXAMPLE))
SERVING = Needs("rollout", ("modelyard.controller.inferenceservice", "modelyard.serving.app"), (SERVICE_EXAMPLE,))


@dataclass
class Row:
    step: str
    outcome: str
    seconds: float
    status: str  # ok, failed, unavailable


@dataclass
class Demo:
    """The running story: the cluster, where things are written, what happened so far."""

    cluster: SandboxCluster
    pace: Pace
    root: Path
    out: TextIO
    rows: list[Row] = field(default_factory=list)
    load: LoadGenerator | None = None
    started: float = field(default_factory=time.monotonic)
    facts: dict[str, Any] = field(default_factory=dict)  # what happened, for the summary and the test
    marks: dict[str, float] = field(default_factory=dict)  # when (monotonic) it was seen
    code: int | None = None
    seen: set[str] = field(default_factory=set)  # narration lines already printed

    @property
    def kube(self) -> KubeClient:
        assert self.cluster.kube is not None
        return self.cluster.kube

    @property
    def artifacts(self) -> Path:
        return self.cluster.workdir / "artifacts"

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {text}", file=self.out, flush=True)

    def example(self, path: str) -> JsonDict:
        loaded: JsonDict = yaml.safe_load((self.root / path).read_text())
        return loaded

    async def wait(self, what: str, check: Callable[[], Awaitable[str | None]]) -> str:
        """Poll ``check`` (None: not yet; raises StepFailed: never) until it answers, within the step deadline."""
        deadline = time.monotonic() + self.pace.step_timeout
        while time.monotonic() < deadline:
            answer = await check()
            if answer is not None:
                return answer
            await asyncio.sleep(0.2)
        raise StepFailed(f"timed out after {self.pace.step_timeout:.0f}s waiting for {what}")


Run = Callable[[Demo], Awaitable[str]]


@dataclass(frozen=True)
class Step:
    title: str
    needs: tuple[Needs, ...]
    run: Run


async def train(demo: Demo, version: str, bad: bool = False) -> str:
    body = trainingjob(demo.example(TRAINING_EXAMPLE), version, demo.artifacts, bad=bad, namespace=NS)
    await demo.kube.create(TRAININGJOBS, NS, body)
    name = body["metadata"]["name"]

    async def done() -> str | None:
        tj = await demo.kube.get(TRAININGJOBS, NS, name)
        status = tj.get("status", {})
        if status.get("phase") == "Failed":
            raise StepFailed(f"TrainingJob {name} failed: {condition(tj, 'Failed').get('message', '')}")
        if status.get("phase") != "Succeeded":
            return None
        metrics = status.get("metrics") or {}
        shown = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items() if k in ("accuracy", "f1_macro"))
        return f"TrainingJob {name} Succeeded: {shown or 'no metrics'}" + (" (the bad-model variant)" if bad else "")
    return await demo.wait(f"TrainingJob {name} to finish", done)


async def registered(demo: Demo, version: str) -> str:
    name = version_name(version)

    async def ready() -> str | None:
        mv = await demo.kube.get_or_none(MODELVERSIONS, NS, name)
        if mv is None or condition(mv, "Ready").get("status") != "True":
            return None
        artifact = mv["spec"].get("artifact", {})
        return f"ModelVersion {name} registered: {artifact.get('uri', '')} ({str(artifact.get('digest', ''))[:19]}…)"
    return await demo.wait(f"ModelVersion {name} to be Ready", ready)


async def serve(demo: Demo) -> str:
    await demo.kube.create(INFERENCESERVICES, NS, inferenceservice(demo.example(SERVICE_EXAMPLE), demo.pace, NS))
    return await _serving(demo, version_name("v1"))


async def _serving(demo: Demo, version: str) -> str:
    async def ready() -> str | None:
        isvc = await demo.kube.get(INFERENCESERVICES, NS, SERVICE)
        ready = condition(isvc, "Ready").get("status") == "True"
        if served(isvc, "stable") != version or served(isvc, "canary") or not ready:
            return None
        url = demo.cluster.endpoints.url(SERVICES, NS, SERVICE)
        return f"InferenceService {SERVICE} Ready, serving {version} at {url}"
    return await demo.wait(f"InferenceService {SERVICE} to serve {version}", ready)


async def send_load(demo: Demo) -> str:
    url = demo.cluster.endpoints.url(SERVICES, NS, SERVICE)
    if url is None:
        raise StepFailed(f"service {SERVICE} has no local endpoint")
    demo.load = LoadGenerator(url + f"/v2/models/{SERVICE}/infer", rps=demo.pace.load_rps)
    demo.load.start()
    await demo.wait("20 answered requests", lambda: _answered(demo, 20))
    return demo.load.summary()


async def _answered(demo: Demo, n: int) -> str | None:
    assert demo.load is not None
    return "ok" if demo.load.total >= n else None


async def canary_started(demo: Demo, version: str) -> str:
    name = version_name(version)

    async def started() -> str | None:
        isvc = await demo.kube.get(INFERENCESERVICES, NS, SERVICE)
        weight = isvc.get("status", {}).get("canaryWeight", 0)
        if name in (isvc.get("status", {}).get("rejected") or []):
            return f"canary {name} started (and was already judged)"
        if served(isvc, "canary") != name or not weight:
            return None
        demo.marks["canary"] = time.monotonic()
        return f"canary {name} passed the gates and takes {weight}% of traffic; stable {served(isvc, 'stable')}"
    return await demo.wait(f"a canary of {name} taking traffic", started)


async def rolled_back(demo: Demo) -> str:
    name = version_name("v2")

    async def stalled() -> str | None:
        isvc = await demo.kube.get(INFERENCESERVICES, NS, SERVICE)
        stall = condition(isvc, "Stalled")
        if stall.get("status") != "True":
            return None
        if stall.get("reason") != "RolledBack":
            raise StepFailed(f"Stalled for another reason: {stall.get('reason')}: {stall.get('message')}")
        demo.marks["rolled_back"] = time.monotonic()
        demo.facts["rejections"] = isvc["status"].get("rejections") or []
        return f"{name} rolled back: {stall.get('message', '')}"
    return await demo.wait(f"{name} to be rolled back", stalled)


async def promoted(demo: Demo) -> str:
    line = await _serving(demo, version_name("v3"))
    isvc = await demo.kube.get(INFERENCESERVICES, NS, SERVICE)
    demo.marks["promoted"] = time.monotonic()
    demo.facts["stable"] = served(isvc, "stable")
    demo.facts["history"] = isvc["status"].get("history") or []
    return line


async def follow(demo: Demo) -> None:
    """Print every Event on our objects and every analysis measurement once, as they appear."""
    while True:
        await narrate(demo)
        await asyncio.sleep(0.3)


async def narrate(demo: Demo) -> None:
    """Print what appeared since the last call (a failed read is retried on the next one)."""
    with contextlib.suppress(ApiError, aiohttp.ClientError, TimeoutError):
        await _narrate_once(demo, demo.seen)


async def _narrate_once(demo: Demo, seen: set[str]) -> None:
    events = await demo.kube.list(EVENTS, NS)
    events.sort(key=lambda e: (e.get("firstTimestamp") or "", e["metadata"]["name"]))
    lines = [(e["metadata"]["name"], event_line(e)) for e in events]
    isvc = await demo.kube.get_or_none(INFERENCESERVICES, NS, SERVICE)
    lines += measurement_lines(isvc) if isvc else []
    for key, line in lines:
        if key not in seen and line is not None:
            seen.add(key)
            demo.say(f"    · {line}")


STORY: tuple[Step, ...] = (
    Step("train iris v1 (scikit-learn, for real)", (TRAINING,), lambda d: train(d, "v1")),
    Step("register ModelVersion iris-v1", (TRAINING,), lambda d: registered(d, "v1")),
    Step("serve it: InferenceService iris", (SERVING,), serve),
    Step("send load to its URL", (SERVING,), send_load),
    Step("train iris v2 (the bad-model variant)", (TRAINING,), lambda d: train(d, "v2", bad=True)),
    Step("iris-v2 starts a canary", (TRAINING, SERVING), lambda d: canary_started(d, "v2")),
    Step("analysis fails, iris-v2 rolled back", (SERVING,), rolled_back),
    Step("train iris v3 (a good model)", (TRAINING,), lambda d: train(d, "v3")),
    Step("iris-v3 canary analysed and promoted", (SERVING,), promoted),
)


async def play(demo: Demo, story: tuple[Step, ...] = STORY) -> int:
    """Run the steps in order; returns the exit code (0 all done, 1 a step failed, 3 steps not available)."""
    follower = asyncio.create_task(follow(demo), name="demo-follow")
    try:
        demo.code = await _play(demo, story)
    finally:
        await narrate(demo)
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
    return demo.code


async def _play(demo: Demo, story: tuple[Step, ...]) -> int:
    for i, step in enumerate(story):
        missing = [(n.branch, m) for n in step.needs for m in n.missing(demo.root)]
        if missing:
            return _unavailable(demo, story[i:])
        demo.say(f"{step.title} ...")
        began = time.monotonic()
        try:
            outcome = await step.run(demo)
        except StepFailed as e:
            demo.rows.append(Row(step.title, str(e), time.monotonic() - began, "failed"))
            await narrate(demo)
            demo.say(f"  ✗ {e}")
            return EXIT_FAILED
        demo.rows.append(Row(step.title, outcome, time.monotonic() - began, "ok"))
        await narrate(demo)
        demo.say(f"  ✓ {outcome}")
    return 0


def _unavailable(demo: Demo, rest: tuple[Step, ...]) -> int:
    for step in rest:
        missing = sorted({f"{n.branch}: {m}" for n in step.needs for m in n.missing(demo.root)})
        why = "needs " + "; ".join(missing) if missing else "after a step that is not available"
        demo.rows.append(Row(step.title, f"not available yet ({why})", 0.0, "unavailable"))
        demo.say(f"  - {step.title}: not available yet ({why})")
    return EXIT_UNAVAILABLE
