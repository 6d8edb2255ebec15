"""The concurrency settings the benchmarks led to: kopf workers that free their slot fast, unbounded by default
(a bound below the number of existing indexed objects freezes kopf at start-up)."""

from __future__ import annotations

import kopf
import pytest

from modelyard.config import Settings
from modelyard.handlers.startup import configure_kopf


@pytest.mark.parametrize(("env", "workers", "idle"), [
    ({}, None, 0.2),
    ({"MODELYARD_MAX_WORKERS": "50"}, 50, 0.2),
    ({"MODELYARD_WORKER_IDLE_SECONDS": "1.5"}, None, 1.5),
], ids=["defaults", "more-workers", "longer-idle"])
def test_worker_settings_reach_kopf(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], workers: int | None,
                                    idle: float) -> None:
    for key in ("MODELYARD_MAX_WORKERS", "MODELYARD_WORKER_IDLE_SECONDS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = kopf.OperatorSettings()
    configure_kopf(settings, Settings.from_env())
    assert (settings.queueing.worker_limit, settings.queueing.idle_timeout) == (workers, idle)
