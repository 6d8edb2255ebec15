"""The table: each figure beside its baseline, the ratio, the target and whether it is met."""

from __future__ import annotations

from typing import Any

import pytest
from bench.report import Row, done_cell, fmt, memory_rows, render, rollback_rows, throughput_rows


@pytest.mark.parametrize(("value", "want"), [(None, "n/a"), (1.234, "1.23"), (1234.5, "1,234.50")],
                         ids=["missing", "small", "thousands"])
def test_fmt(value: float | None, want: str) -> None:
    assert fmt(value) == want


@pytest.mark.parametrize(("run", "want"), [
    ({"all_done_s": 3.5, "n": 10, "done_count": 10}, "3.50"),
    ({"all_done_s": None, "n": 10, "done_count": 4}, "not reached (4/10)"),
], ids=["reached", "not-reached"])
def test_done_cell(run: dict[str, Any], want: str) -> None:
    assert done_cell(run) == want


@pytest.mark.parametrize(("ours_s", "base_s", "verdict"), [
    (30.0, 20.0, "ok"), (50.0, 20.0, "MISS"), (None, 20.0, "MISS"),
], ids=["within-2x", "beyond-2x", "never-ready"])
def test_thousand_services_within_twice_the_baseline(ours_s: float | None, base_s: float, verdict: str) -> None:
    ours, base = {"all_done_s": ours_s, "n": 1000, "done_count": 0}, {"all_done_s": base_s, "n": 1000}
    assert throughput_rows("inferenceservices", 1000, ours, base)[0].verdict == verdict


@pytest.mark.parametrize(("rss", "writes", "verdicts"), [
    (120.0, 0.0, ["", "ok", "ok"]), (200.0, 0.5, ["", "MISS", "MISS"]),
], ids=["meets-both", "misses-both"])
def test_memory_targets(rss: float, writes: float, verdicts: list[str]) -> None:
    ours = {"rss_mib": {"0": 60.0, "1000": rss}, "settled": {},
            "steady": {"objects": 1000, "window_s": 60, "writes_per_object_hour": writes}}
    rows = memory_rows(ours, {"rss_mib": {"0": 50.0, "1000": 60.0}})
    assert [r.verdict for r in rows[:3]] == verdicts


@pytest.mark.parametrize(("result", "verdict"), [
    ({"interval_s": 2, "latency_s": 3.0}, "ok"),
    ({"interval_s": 2, "latency_s": 4.5}, "MISS"),
    ({"interval_s": 2, "latency_s": None, "reason": "no rollout"}, ""),
], ids=["within-interval-plus-2s", "too-slow", "not-measurable"])
def test_rollback_target(result: dict[str, Any], verdict: str) -> None:
    assert rollback_rows(result)[0].verdict == verdict


def test_render_aligns_columns_as_a_markdown_table() -> None:
    lines = render([Row("a", "1", "2", "0.50x"), Row("longer figure", "10")]).splitlines()
    assert lines[0].startswith("| figure") and set(lines[1]) <= {"|", "-"}
    assert len({len(line) for line in lines}) == 1
