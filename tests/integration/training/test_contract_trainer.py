"""The trainer of docs/artifact-contract.md, run as a real process by the sandbox's local pod runtime:
it trains, writes a real artifact and its report, and the operator registers exactly what it wrote."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from modelyard.adapters.kube import MODELVERSIONS, TRAININGJOBS
from tests.integration.conftest import SandboxHandle

from .test_trainingjob import NS, ROOT, phase, trainingjob


def documented_trainer() -> str:
    text = (ROOT / "docs" / "artifact-contract.md").read_text()
    section = text[text.index("## A trainer that follows it"):]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


async def test_documented_trainer_runs_and_its_model_is_registered(sandbox_local: SandboxHandle,
                                                                   tmp_path: Path) -> None:
    code = documented_trainer()
    assert len(code.strip().splitlines()) <= 12
    body = trainingjob("doc-trainer", version="doc", command=["python", "-c", code],
                       hyperparameters={"c": 0.5}, output={"uri": f"file://{tmp_path}/iris"},
                       pod={"annotations": {"sandbox.modelyard.io/run-local": "true"}})
    await sandbox_local.kube.create(TRAININGJOBS, NS, body)
    tj = await phase(sandbox_local, "doc-trainer", "Succeeded", timeout=60)
    artifact = tmp_path / "iris" / "model.joblib"
    digest = "sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest()
    assert tj["status"]["artifact"] == {"uri": artifact.as_uri(), "digest": digest, "format": "sklearn",
                                        "sizeBytes": artifact.stat().st_size}
    assert 0.9 < tj["status"]["metrics"]["accuracy"] <= 1.0
    mv = await sandbox_local.kube.get(MODELVERSIONS, NS, "iris-doc")
    assert mv["spec"]["artifact"]["digest"] == digest
    assert mv["spec"]["lineage"]["hyperparameters"] == {"c": 0.5}
