"""`modelyard sandbox demo`'s whole story with short intervals (select with ``-m demo``).

It applies examples/trainingjob-iris-sandbox.yaml and examples/inferenceservice-iris-sandbox.yaml, trains
for real, serves, sends load, rolls the bad version back and promotes the good one; then the facts are
checked: the rejected version and why, the promoted version stable, the load's answers by version and time.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from modelyard.sandbox import demo as demo_module
from modelyard.sandbox.cli import run_demo, summary
from modelyard.sandbox.runtime.load import Sent
from modelyard.sandbox.runtime.story import FAST

pytestmark = pytest.mark.demo
ROOT = Path(__file__).resolve().parents[3]
BAD, GOOD = "iris-iris-v2", "iris-iris-v3"  # the Deployments serving iris-v2 and iris-v3


def _top_level(root: Path) -> set[str]:
    return {p.relative_to(root).parts[0] for p in root.rglob("*")}


def _answered_by(sent: list[Sent]) -> set[str]:
    return {s.deployment for s in sent if s.deployment}


@pytest.mark.timeout(120)
async def test_demo_story(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the trainer runs from the checkout
    kubeconfig = tmp_path / ".sandbox" / "kubeconfig"
    args = argparse.Namespace(keep=False, kubeconfig=str(kubeconfig), crds=str(ROOT / "crds"))
    story = await run_demo(args, kubeconfig, FAST)
    out = capsys.readouterr().out
    assert story.code == 0, out
    assert _top_level(tmp_path) == {".sandbox"}  # nothing outside the sandbox directory
    assert [r.status for r in story.rows] == ["ok"] * len(demo_module.STORY), out

    # the bad version was rolled back, named, with the failing metric as the reason
    [rejection] = story.facts["rejections"]
    assert rejection["modelVersion"] == "iris-v2" and rejection["reason"] == "RolledBack", rejection
    assert "error-rate" in rejection["message"], rejection
    assert "iris-v2 rolled back: serving iris-v1; iris-v2 rejected" in out and "error-rate" in out
    # the good one went through the steps and is the stable version
    assert story.facts["stable"] == "iris-v3"
    outcomes = [(h["modelVersion"], h["outcome"]) for h in story.facts["history"]]
    assert outcomes[:2] == [("iris-v3", "Promoted"), ("iris-v2", "RolledBack")], outcomes
    assert "WeightChanged: canary weight 20% -> 50%" in out and "-> Failed" in out, out

    assert story.load is not None
    load, marks = story.load, story.marks
    # the canary really took its share of the traffic while it was judged, the stable kept serving
    during = load.sent(marks["canary"], marks["rolled_back"])
    assert {"iris-iris-v1", BAD} <= _answered_by(during), during
    # once rolled back, no request is answered by the rejected version
    assert BAD not in _answered_by(load.sent(marks["rolled_back"])), load.by_deployment
    # every request was answered by a pod; the only failures are the bad model's own (a deleted pod gets
    # SIGTERM and a grace period, so requests in flight on it when the rollback scaled it down complete)
    odd = [s for s in load.log if s.code not in ("200", "500")]
    assert not odd, ([(round(s.at - story.started, 1), s.code, s.note) for s in odd], marks, out)
    assert {s.deployment for s in load.log if s.code == "500"} <= {BAD}
    assert GOOD in _answered_by(load.sent(marks["promoted"] - 1.0)), load.by_deployment


def test_story_rows_are_printed_as_a_table() -> None:
    story = demo_module.Demo(cluster=None, pace=FAST, root=ROOT, out=io.StringIO())  # type: ignore[arg-type]
    story.rows = [demo_module.Row("train", "ok: accuracy 0.97", 1.5, "ok"),
                  demo_module.Row("serve", "not available yet", 0.0, "unavailable")]
    table = summary(story).splitlines()
    assert table[1].startswith("✓ train") and "1.5s" in table[1] and table[2].startswith("- serve")
