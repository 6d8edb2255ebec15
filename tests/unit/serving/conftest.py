from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import Artifact, train


@pytest.fixture(scope="session")
def good_artifact(tmp_path_factory: pytest.TempPathFactory) -> Artifact:
    return train(tmp_path_factory.mktemp("good"))


@pytest.fixture(scope="session")
def bad_artifact(tmp_path_factory: pytest.TempPathFactory) -> Artifact:
    return train(tmp_path_factory.mktemp("bad"), "--bad", env={"HP_BAD_ERROR_RATE": "0.5", "HP_BAD_LATENCY": "5ms"})


@pytest.fixture
def tampered_artifact(good_artifact: Artifact, tmp_path: Path) -> Artifact:
    copy = tmp_path / "model.joblib"
    copy.write_bytes(good_artifact.path.read_bytes() + b"\0")
    return Artifact(copy, f"file://{copy}", good_artifact.digest, good_artifact.report)
