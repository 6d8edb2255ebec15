"""The Argo CD health checks under Lua 5.1 (Argo CD runs gopher-lua, a Lua 5.1): every kind in every state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.gitops.cases import CASES, Case

ROOT = Path(__file__).resolve().parents[3]
HEALTH = ROOT / "charts" / "modelyard" / "files" / "health"
lua51 = pytest.importorskip("lupa.lua51", reason="lupa (Lua 5.1) is not installed")


def _table(runtime: Any, value: Any) -> Any:
    """A JSON value as Argo CD hands it to the script (tables for objects and arrays)."""
    if isinstance(value, dict):
        return runtime.table_from({k: _table(runtime, v) for k, v in value.items() if v is not None})
    if isinstance(value, list):
        return runtime.table_from([_table(runtime, v) for v in value])
    return value


def assess(kind: str, obj: dict[str, Any]) -> dict[str, str]:
    """Run <kind>.lua the way Argo CD does: ``obj`` is a global, the chunk returns ``hs``."""
    runtime = lua51.LuaRuntime(unpack_returned_tuples=True)
    assert runtime.eval("_VERSION") == "Lua 5.1"
    runtime.globals().obj = _table(runtime, obj)
    chunk = runtime.execute((HEALTH / f"{kind.lower()}.lua").read_text())
    return {"status": chunk["status"], "message": chunk["message"]}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_health(case: Case) -> None:
    hs = assess(case.kind, case.body)
    assert hs["status"] == case.health, hs
    assert case.message in hs["message"]


def test_every_argo_cd_health_status_is_covered() -> None:
    for kind in ("TrainingJob", "InferenceService"):
        assert {c.health for c in CASES if c.kind == kind} == {"Healthy", "Progressing", "Degraded", "Suspended"}
    assert {c.health for c in CASES if c.kind == "ModelVersion"} == {"Healthy", "Progressing", "Degraded"}


def test_a_rolled_back_inferenceservice_is_degraded_naming_the_reason() -> None:
    (case,) = [c for c in CASES if c.id == "is-rolled-back"]
    hs = assess(case.kind, case.body)
    assert hs == {"status": "Degraded", "message": "RolledBack: v2 rolled back: errorRate 0.2 > 0.05; serving v1"}
