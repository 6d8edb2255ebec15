"""Given / When / Then helpers for the registry's integration tests against the sandbox cluster.

Protection and quiescence drive real InferenceServices (``serving`` / ``pin`` / ``wait_for_isvc``): the
rollout controller owns their status; the sandbox's simulated pods become Ready by default
(``sandbox.behaviours``), and a one-step rollout without analysis metrics promotes a pinned version as
soon as its pods are ready. ``report_isvc_status`` (writing the status the registry reads directly) is
left for the lookup tests, whose services pin a version they never roll out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from modelyard.adapters.kube import EVENTS, INFERENCESERVICES, MODELVERSIONS
from tests.integration.conftest import ROOT, SandboxHandle

NS = "default"
EXAMPLES = ROOT / "examples"
Body = dict[str, Any]


# --- given -------------------------------------------------------------------------------------------

def modelversion(name: str, version: str, *, model: str = "iris", keep_last: int | None = None,
                 tags: Mapping[str, str] | None = None, metrics: Mapping[str, float] | None = None) -> Body:
    """A hand-registered ModelVersion (the digest is derived from the name, so each differs)."""
    spec: Body = {
        "model": model, "version": version,
        "artifact": {"uri": f"file:///models/{model}/{version}/model.joblib", "format": "sklearn",
                     "digest": "sha256:" + hashlib.sha256(name.encode()).hexdigest()},
        "metrics": dict(metrics or {"accuracy": 0.9}), "tags": dict(tags or {}),
    }
    if keep_last is not None:
        spec["retention"] = {"keepLast": keep_last}
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "ModelVersion", "metadata": {"name": name}, "spec": spec}


def inferenceservice(name: str, model_version: str) -> Body:
    """A service whose status the test writes (``report_isvc_status``). It pins a version that is never
    registered, so the real rollout loop waits for it and leaves the served and rejected versions the test
    wrote alone (pinning ``model_version`` itself, the loop would supersede a canary the test reported)."""
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "InferenceService", "metadata": {"name": name},
            "spec": {"model": {"modelVersion": f"{model_version}-never-registered"}}}


def serving(name: str, model_version: str, *, scale_down_delay: str = "300ms",
            gates: Sequence[Body] = ()) -> Body:
    """A real InferenceService: one replica, one 50% step, no analysis metrics, a short scale-down delay."""
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "InferenceService", "metadata": {"name": name},
            "spec": {"model": {"modelVersion": model_version, "gates": list(gates)}, "predictor": {"replicas": 1},
                     "rollout": {"steps": [{"setWeight": 50}], "scaleDownDelay": scale_down_delay,
                                 "progressDeadline": "20s", "readyDeadline": "20s"}}}


def example(path: Path) -> Body:
    loaded: Body = yaml.safe_load(path.read_text())
    return loaded


async def create_all(sandbox: SandboxHandle, *bodies: Body) -> None:
    for body in bodies:
        await sandbox.kube.create(MODELVERSIONS, NS, body)


# --- when --------------------------------------------------------------------------------------------

async def report_isvc_status(
    sandbox: SandboxHandle, name: str, *, stable: str | None = None, canary: str | None = None,
    rejected: Sequence[str] = (), history: Sequence[Body] = (),
) -> None:
    """Stand-in for the rollout controller: write what the InferenceService serves and refused.

    A merge patch: ``None`` removes ``stable`` / ``canary``; the lists are replaced whole.
    """
    status: Body = {
        "stable": {"modelVersion": stable} if stable else None,
        "canary": {"modelVersion": canary} if canary else None,
        "rejected": list(rejected), "history": list(history),
    }
    await sandbox.kube.patch(INFERENCESERVICES, NS, name, {"status": status}, subresource="status")


async def pin(sandbox: SandboxHandle, name: str, model_version: str) -> None:
    """Point InferenceService ``name`` at another version (a canary, promoted once its pods are ready)."""
    await sandbox.kube.patch(INFERENCESERVICES, NS, name, {"spec": {"model": {"modelVersion": model_version}}})


async def wait_for_isvc(sandbox: SandboxHandle, name: str, what: str, check: Any, timeout: float = 15.0) -> Body:  # noqa: ASYNC109
    """The InferenceService's status once ``check(status)`` holds."""
    async def probe() -> Body | None:
        status: Body = (await sandbox.kube.get(INFERENCESERVICES, NS, name)).get("status") or {}
        return status if check(status) else None
    return await sandbox.wait_for(probe, timeout, message=f"{name}: {what}")


def stable_is(model_version: str) -> Any:
    """Promoted and settled: ``model_version`` is the stable, no canary, Healthy."""
    return lambda st: ((st.get("stable") or {}).get("modelVersion") == model_version and not st.get("canary")
                       and st.get("phase") == "Healthy")


# --- then --------------------------------------------------------------------------------------------

def condition(obj: Mapping[str, Any], type_: str) -> Body | None:
    found: Body | None = next((c for c in (obj.get("status") or {}).get("conditions", []) if c["type"] == type_),
                              None)
    return found


async def wait_for_mv(sandbox: SandboxHandle, name: str, *, phase: str, reason: str | None = None,
                      timeout: float = 8.0) -> Body:  # noqa: ASYNC109
    """The ModelVersion once its phase (and the reason of its Ready condition) are as given."""
    async def check() -> Body | None:
        mv = await sandbox.kube.get(MODELVERSIONS, NS, name)
        ready = condition(mv, "Ready") or {}
        ok = mv.get("status", {}).get("phase") == phase and reason in (None, ready.get("reason"))
        return mv if ok else None
    return await sandbox.wait_for(check, timeout, message=f"{name} phase {phase} reason {reason}")


async def wait_for_status(sandbox: SandboxHandle, name: str, key: str, value: Any,
                          timeout: float = 8.0) -> Body:  # noqa: ASYNC109
    async def check() -> Body | None:
        mv = await sandbox.kube.get(MODELVERSIONS, NS, name)
        return mv if mv.get("status", {}).get(key) == value else None
    return await sandbox.wait_for(check, timeout, message=f"{name} status.{key} == {value!r}")


async def wait_gone(sandbox: SandboxHandle, name: str, timeout: float = 8.0) -> bool:  # noqa: ASYNC109
    async def check() -> bool:
        return await sandbox.kube.get_or_none(MODELVERSIONS, NS, name) is None
    return await sandbox.wait_for(check, timeout, message=f"{name} deleted")


async def wait_protected(sandbox: SandboxHandle, name: str) -> Body:
    """The ModelVersion once it carries the protection finalizer (kopf adds it with its own patch,
    just after the status the same handler decided)."""
    async def check() -> Body | None:
        mv = await sandbox.kube.get(MODELVERSIONS, NS, name)
        return mv if "modelyard.io/protection" in (mv["metadata"].get("finalizers") or []) else None
    return await sandbox.wait_for(check, 8.0, message=f"{name} protected")


async def event_reasons(sandbox: SandboxHandle, name: str) -> list[str]:
    """Reasons of the Events about ModelVersion ``name``, oldest first."""
    events = await sandbox.kube.list(EVENTS, NS)
    ours = [e for e in events if e.get("involvedObject", {}).get("kind") == "ModelVersion"
            and e["involvedObject"].get("name") == name]
    return [e["reason"] for e in sorted(ours, key=lambda e: e["metadata"].get("creationTimestamp", ""))]


async def wait_for_event(sandbox: SandboxHandle, name: str, reason: str) -> list[str]:
    async def check() -> list[str] | None:
        reasons = await event_reasons(sandbox, name)
        return reasons if reason in reasons else None
    return await sandbox.wait_for(check, 8.0, message=f"event {reason} on {name}")
