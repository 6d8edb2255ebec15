"""`modelyard sandbox demo`'s story with short intervals (select with ``-m demo``).

Until the TrainingJob and InferenceService controllers are in this checkout, the demo must say which steps
are not available and exit 3 rather than pretend; once they are, the whole story must pass.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from modelyard.sandbox import demo as demo_module
from modelyard.sandbox.cli import demo
from modelyard.sandbox.runtime.story import FAST

pytestmark = pytest.mark.demo
ROOT = Path(__file__).resolve().parents[3]


def _top_level(root: Path) -> set[str]:
    return {p.relative_to(root).parts[0] for p in root.rglob("*")}


def _available() -> bool:
    return not any(n.missing(ROOT) for step in demo_module.STORY for n in step.needs)


@pytest.mark.timeout(120)
async def test_demo_story(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the trainer runs from the checkout
    args = argparse.Namespace(keep=False, kubeconfig=str(tmp_path / ".sandbox" / "kubeconfig"),
                              crds=str(ROOT / "crds"))
    code = await demo(args, tmp_path / ".sandbox" / "kubeconfig", FAST)
    out = capsys.readouterr().out
    assert _top_level(tmp_path) == {".sandbox"}  # nothing outside the sandbox directory
    if _available():
        assert code == 0, out
        assert "rolled back" in out and "promoted" in out
    else:
        assert code == demo_module.EXIT_UNAVAILABLE, out
        assert "not available yet" in out and "✗" not in out


def test_story_rows_are_printed_as_a_table() -> None:
    story = demo_module.Demo(cluster=None, pace=FAST, root=ROOT, out=io.StringIO())  # type: ignore[arg-type]
    story.rows = [demo_module.Row("train", "ok: accuracy 0.97", 1.5, "ok"),
                  demo_module.Row("serve", "not available yet", 0.0, "unavailable")]
    table = demo_module.summary(story).splitlines()
    assert table[1].startswith("✓ train") and "1.5s" in table[1] and table[2].startswith("- serve")
