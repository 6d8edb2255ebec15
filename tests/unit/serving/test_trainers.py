"""The example trainers follow the artifact contract the operator reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest

from modelyard.api.trainingjob import TERMINATION_MESSAGE_LIMIT, ArtifactReport

from .helpers import TRAINERS, Artifact, free_port

sys.path.insert(0, str(TRAINERS))
import contract
import distributed_trainer
import sklearn_trainer


def test_report_follows_the_contract(good_artifact: Artifact) -> None:
    text = json.dumps(good_artifact.report)
    assert len(text.encode()) <= TERMINATION_MESSAGE_LIMIT
    report = ArtifactReport.model_validate(good_artifact.report["artifact"])
    assert report.format == "sklearn" and report.size_bytes == good_artifact.path.stat().st_size
    assert report.digest == contract.sha256_file(good_artifact.path)
    metrics = good_artifact.report["metrics"]
    assert isinstance(metrics, dict) and metrics["accuracy"] > 0.9


def test_hyperparameters_from_file_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hp_file = tmp_path / "hp.json"
    hp_file.write_text(json.dumps({"model": "forest", "n_estimators": 50, "dataset": "digits"}))
    for key, value in {"MODELYARD_HYPERPARAMETERS_FILE": str(hp_file), "HP_N_ESTIMATORS": "7",
                       "MODELYARD_OUTPUT_URI": f"file://{tmp_path}/out",
                       "MODELYARD_TERMINATION_LOG": str(tmp_path / "r.json")}.items():
        monkeypatch.setenv(key, value)
    assert sklearn_trainer.main([]) == 0
    model = joblib.load(tmp_path / "out" / "model.joblib")
    assert type(model).__name__ == "RandomForestClassifier" and model.n_estimators == 7
    assert model.n_features_in_ == 64


def test_bad_variant_carries_faults(bad_artifact: Artifact) -> None:
    assert joblib.load(bad_artifact.path).modelyard_faults == {"errorRate": 0.5, "latency": "5ms"}


def test_report_is_trimmed_to_the_limit(tmp_path: Path) -> None:
    f = tmp_path / "m"
    f.write_bytes(b"x")
    text = contract.build_report(f, "file:///m", "sklearn", {f"metric_{i:04d}": 0.5 for i in range(500)})
    assert len(text.encode()) <= 4096 and json.loads(text)["artifact"]["sizeBytes"] == 1


def run_distributed(out: Path, world: int) -> tuple[np.ndarray, dict[str, object]]:
    port = free_port()
    env = {**os.environ, "MODELYARD_OUTPUT_URI": f"file://{out}", "MODELYARD_TERMINATION_LOG": str(out / "r.json"),
           "WORLD_SIZE": str(world), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}
    out.mkdir()
    procs = [subprocess.Popen([sys.executable, str(TRAINERS / "distributed_trainer.py")],
                              env={**env, "RANK": str(r)}, stdout=subprocess.DEVNULL) for r in range(world)]
    try:
        assert [p.wait(timeout=60) for p in procs] == [0] * world
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    report = json.loads((out / "r.json").read_text())
    return joblib.load(out / "model.joblib").coef_, report


def test_distributed_equals_single_process(tmp_path: Path) -> None:
    """Synchronous gradient averaging over shards computes the same model as one process on all data."""
    world = 3
    single, _, _, _ = distributed_trainer.train(0, 1, "127.0.0.1", 0, {})
    coef, report = run_distributed(tmp_path / "many", world)
    assert np.allclose(coef, single, atol=1e-8)
    metrics = report["metrics"]
    assert isinstance(metrics, dict) and metrics["world_size"] == world and metrics["accuracy"] > 0.9
    assert sorted(p.name for p in (tmp_path / "many").iterdir()) == ["model.joblib", "r.json"]
