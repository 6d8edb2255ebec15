"""Given / When / Then helpers for the registry's integration tests against the sandbox cluster.

The InferenceService controller is still being built (branch ``rollout``): until it is on main, these
tests stand in for it by writing the InferenceService's status themselves through its /status
subresource, and only the fields the registry reads (``stable``, ``canary``, ``rejected``, ``history``).
The InferenceService handler on main writes only its first status (observedGeneration + conditions),
so it does not undo these writes (``test_protection`` checks that).
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
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "InferenceService", "metadata": {"name": name},
            "spec": {"model": {"modelVersion": model_version}}}


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
