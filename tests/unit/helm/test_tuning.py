"""The operator's tuning knobs as chart values: each reaches the env var the operator reads, the chart's
defaults are the operator's own, and the schema refuses nonsense."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelyard.config import Settings
from tests.unit.helm.chart import CHART, ROOT, helm, of_kind, render
from tests.unit.helm.test_workload import env

TUNING = CHART / "ci" / "tuning-values.yaml"
VALUES = yaml.safe_load((CHART / "values.yaml").read_text())
HANDLERS = sorted((ROOT / "operator" / "modelyard" / "handlers").glob("*.py"))


def operator_env(values: Path | None, *sets: str) -> dict[str, Any]:
    (workload,) = of_kind(render(values, *sets), "Deployment") or of_kind(render(values, *sets), "StatefulSet")
    return env(workload)


@pytest.mark.parametrize(
    ("values", "sets", "expected"),
    [
        (None, (), {"MODELYARD_MAX_WORKERS": "0", "MODELYARD_WORKER_IDLE_SECONDS": "0.2",
                    "MODELYARD_RESYNC_SECONDS": "5"}),
        (TUNING, (), {"MODELYARD_PEERING_LIFETIME": "30", "MODELYARD_MAX_WORKERS": "50",
                      "MODELYARD_WORKER_IDLE_SECONDS": "0.5", "MODELYARD_RESYNC_SECONDS": "15",
                      "MODELYARD_WATCH_STUCK_SECONDS": "600"}),
        (None, ("ha.enabled=true",), {"MODELYARD_PEERING_LIFETIME": "60"}),
    ],
    ids=["defaults", "every-knob", "ha-default-lifetime"],
)
def test_knob_reaches_its_env_var(values: Path | None, sets: tuple[str, ...], expected: dict[str, str]) -> None:
    e = operator_env(values, *sets)
    assert {name: e.get(name) for name in expected} == expected


@pytest.mark.parametrize(
    "sets",
    [(), ("reconcile.maxWorkers=1000", "reconcile.workerIdleMilliseconds=1", "ha.peeringLifetimeSeconds=3600")],
    ids=["ci-values", "extremes"],
)
def test_operator_parses_what_the_chart_renders(sets: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """Helm prints numbers its own way (1e-05): the operator must still read them."""
    e = operator_env(TUNING, *sets)
    for name, value in e.items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    ours = Settings.from_env()
    assert (ours.max_workers, ours.worker_idle_seconds, ours.peering_lifetime) == (
        int(float(e["MODELYARD_MAX_WORKERS"])), float(e["MODELYARD_WORKER_IDLE_SECONDS"]),
        int(e["MODELYARD_PEERING_LIFETIME"]))
    assert float(e["MODELYARD_RESYNC_SECONDS"]) > 0 and float(e["MODELYARD_WATCH_STUCK_SECONDS"]) > 0


def test_unset_knobs_leave_the_operator_its_own_default() -> None:
    e = operator_env(None)
    assert "MODELYARD_PEERING_LIFETIME" not in e  # no peering without ha.enabled
    assert "MODELYARD_WATCH_STUCK_SECONDS" not in e  # derived from the watch inactivity timeout


def test_chart_defaults_are_the_operators() -> None:
    ours = Settings()
    assert VALUES["ha"]["peeringLifetimeSeconds"] == ours.peering_lifetime
    assert VALUES["reconcile"]["maxWorkers"] == ours.max_workers
    assert VALUES["reconcile"]["workerIdleMilliseconds"] / 1000 == ours.worker_idle_seconds
    resync_defaults = {m for p in HANDLERS
                       for m in re.findall(r'"MODELYARD_RESYNC_SECONDS", "([0-9.]+)"', p.read_text())}
    assert resync_defaults == {str(VALUES["reconcile"]["resyncSeconds"])}


def test_every_env_var_the_chart_sets_is_read_by_the_operator() -> None:
    """config.py reads most; the handlers read the resync interval and the stuck-watch threshold."""
    sources = [ROOT / "operator" / "modelyard" / "config.py", *HANDLERS]
    read = {name for p in sources for name in re.findall(r'"(MODELYARD_[A-Z_]+)"', p.read_text())}
    assert {n for n in operator_env(TUNING) if n.startswith("MODELYARD_")} <= read


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("reconcile.maxWorker=5", "additional properties 'maxWorker' not allowed"),
        ("reconcile.maxWorkers=-1", "reconcile/maxWorkers"),
        ("reconcile.workerIdleMilliseconds=0", "reconcile/workerIdleMilliseconds"),
        ("reconcile.resyncSeconds=fast", "reconcile/resyncSeconds"),
        ("reconcile.resyncSeconds=2.5", "reconcile/resyncSeconds"),
        ("ha.peeringLifetimeSeconds=5", "ha/peeringLifetimeSeconds"),
        ("probes.watchStuckSeconds=-1", "probes/watchStuckSeconds"),
    ],
    ids=["typo", "no-workers", "zero-idle", "not-a-number", "fractional-resync", "lifetime-too-short",
         "negative-stuck"],
)
def test_schema_refuses_bad_tuning(setting: str, complaint: str) -> None:
    result = helm("template", "modelyard", str(CHART), "--set", setting)
    assert result.returncode != 0
    assert complaint in result.stderr
