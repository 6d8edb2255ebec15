"""Every ModelVersion example parses as the API model (the CRD schema is generated from it)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelyard.api.modelversion import ModelVersion

EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "examples").glob("modelversion-*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_a_valid_modelversion(path: Path) -> None:
    mv = ModelVersion.model_validate(yaml.safe_load(path.read_text()))
    assert mv.spec.artifact.digest.startswith("sha256:")


def test_there_is_a_hand_registered_example() -> None:
    assert any("hand-registered" in p.name for p in EXAMPLES)
