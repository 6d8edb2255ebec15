"""Registering a model by hand: the examples, immutability of the spec, uniqueness of (model, version)."""

from __future__ import annotations

import pytest

from modelyard.adapters.kube import MODELVERSIONS, ApiError
from modelyard.api.modelversion import PROTECTION_FINALIZER
from tests.integration.conftest import SandboxHandle
from tests.integration.registry.registry_helpers import (
    EXAMPLES,
    NS,
    condition,
    create_all,
    event_reasons,
    example,
    modelversion,
    wait_for_event,
    wait_for_mv,
    wait_gone,
    wait_protected,
)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("modelversion-*.yaml")), ids=lambda p: p.stem)
async def test_example_registers_as_ready(sandbox: SandboxHandle, path: object) -> None:
    body = example(path)  # type: ignore[arg-type]
    await create_all(sandbox, body)
    mv = await wait_for_mv(sandbox, body["metadata"]["name"], phase="Ready", reason="Registered")
    status = mv["status"]
    assert status["observedGeneration"] == mv["metadata"]["generation"]
    assert status["headlineMetric"] == f"accuracy={body['spec']['metrics']['accuracy']:.4g}"
    assert condition(mv, "Stalled") is None  # kstatus: abnormal-true conditions are left out when False
    assert condition(mv, "ArtifactVerified")["reason"] == "NotYetLoaded"  # type: ignore[index]
    assert PROTECTION_FINALIZER in (await wait_protected(sandbox, body["metadata"]["name"]))["metadata"]["finalizers"]
    assert "Registered" in await event_reasons(sandbox, body["metadata"]["name"])


async def test_spec_edit_is_refused_with_a_message(sandbox: SandboxHandle) -> None:
    await create_all(sandbox, modelversion("iris-v1", "v1"))
    await wait_for_mv(sandbox, "iris-v1", phase="Ready")
    with pytest.raises(ApiError) as refused:
        await sandbox.kube.patch(MODELVERSIONS, NS, "iris-v1", {"spec": {"metrics": {"accuracy": 0.99}}})
    assert refused.value.status == 422
    assert "spec is immutable: a new model is a new ModelVersion" in refused.value.message
    await sandbox.kube.patch(MODELVERSIONS, NS, "iris-v1", {"metadata": {"labels": {"team": "fraud"}}})
    mv = await sandbox.kube.get(MODELVERSIONS, NS, "iris-v1")
    assert mv["spec"]["metrics"] == {"accuracy": 0.9} and mv["metadata"]["labels"] == {"team": "fraud"}


async def test_duplicate_version_is_stalled_and_takes_over_when_the_original_goes(sandbox: SandboxHandle) -> None:
    await create_all(sandbox, modelversion("iris-v1", "v1"))
    await wait_for_mv(sandbox, "iris-v1", phase="Ready")
    await create_all(sandbox, modelversion("iris-v1-again", "v1"))
    dup = await wait_for_mv(sandbox, "iris-v1-again", phase="Pending", reason="DuplicateVersion")
    stalled = condition(dup, "Stalled")
    assert stalled is not None and stalled["status"] == "True" and stalled["reason"] == "DuplicateVersion"
    assert "already registered by ModelVersion iris-v1" in stalled["message"]
    assert condition(dup, "Ready")["status"] == "False"  # type: ignore[index]
    await wait_for_event(sandbox, "iris-v1-again", "DuplicateVersion")
    await wait_for_mv(sandbox, "iris-v1", phase="Ready", reason="Registered")  # the original is untouched

    await sandbox.kube.delete(MODELVERSIONS, NS, "iris-v1")
    await wait_gone(sandbox, "iris-v1")  # nothing serves it: deleted at once
    await wait_for_mv(sandbox, "iris-v1-again", phase="Ready", reason="Registered")
