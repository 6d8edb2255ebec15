"""The Argo CD health checks come from one source (a shared prelude + a body per kind), assembled by
`modelyard crds`, whose `--check` names a stale script or patch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from modelyard.api import KINDS
from modelyard.cli import main
from modelyard.codegen import argocd
from modelyard.codegen.argocd import CHART_PATCH, EXAMPLE_PATCH, HEALTH_DIR, build_health_script, render_argocd_files
from modelyard.codegen.generate import stale_files

ROOT = Path(__file__).resolve().parents[3]
KIND_NAMES = [k.crd.kind for k in KINDS]


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_script_is_the_prelude_then_the_body_of_its_kind(kind: str) -> None:
    script = build_health_script(kind)
    prelude = (argocd.SOURCES / "prelude.lua").read_text()
    body = (argocd.SOURCES / f"{kind.lower()}.lua").read_text()
    assert script.endswith("\n" + body)
    assert script.startswith(f"-- Argo CD health of a modelyard.io/v1alpha1 {kind} ")
    assert "${" not in script and "require" not in script  # filled in, and self-contained
    assert script.count("local function say(") == 1 and len(script) > len(prelude) + len(body)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_script_compiles_under_lua_5_1(kind: str) -> None:
    lua51 = pytest.importorskip("lupa.lua51", reason="lupa (Lua 5.1) is not installed")
    lua51.LuaRuntime().compile(build_health_script(kind))


def test_a_kind_without_a_body_is_named() -> None:
    with pytest.raises(FileNotFoundError, match=r"operator/modelyard/codegen/health/canary\.lua"):
        build_health_script("Canary")


def test_patch_carries_each_script_and_ignores_kopf_bookkeeping() -> None:
    files = render_argocd_files(KIND_NAMES, with_example=True)
    assert files[CHART_PATCH] == files[EXAMPLE_PATCH]
    data = yaml.safe_load(files[CHART_PATCH])["data"]
    for kind in KIND_NAMES:
        assert data[f"resource.customizations.health.modelyard.io_{kind}"] == files[HEALTH_DIR / f"{kind.lower()}.lua"]
        ignore = yaml.safe_load(data[f"resource.customizations.ignoreResourceUpdates.modelyard.io_{kind}"])
        assert ignore["jsonPointers"] == ["/status/kopf"]
        assert "kopf.zalando.org/" in ignore["jqPathExpressions"][0]


def test_chart_and_example_are_up_to_date() -> None:
    assert stale_files(ROOT, render_argocd_files(KIND_NAMES, with_example=True)) == []


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of what `modelyard crds` writes, up to date."""
    for rel in ("crds", "docs", "charts", "examples/gitops"):
        shutil.copytree(ROOT / rel, tmp_path / rel)
    return tmp_path


@pytest.mark.parametrize(
    "stale",
    [HEALTH_DIR / "inferenceservice.lua", CHART_PATCH, EXAMPLE_PATCH],
    ids=["script", "chart-patch", "example-patch"],
)
def test_check_names_a_stale_script_or_patch(
    checkout: Path, stale: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["crds", "--check", "--root", str(checkout)]) == 0
    edited = checkout / stale
    edited.write_text(edited.read_text().replace('"Degraded"', '"Healthy"', 1))
    assert main(["crds", "--check", "--root", str(checkout)]) == 1
    complaints = capsys.readouterr().err.splitlines()
    assert complaints == [f"out of date: {stale} (run `modelyard crds` and commit the result)"]
