"""The concurrency settings the benchmarks led to: a bounded number of kopf workers that free their slot fast."""

from __future__ import annotations

import kopf
import pytest

from modelyard.config import Settings
from modelyard.handlers.startup import configure_kopf


@pytest.mark.parametrize(("env", "workers", "idle"), [
    ({}, 20, 0.2),
    ({"MODELYARD_MAX_WORKERS": "50"}, 50, 0.2),
    ({"MODELYARD_WORKER_IDLE_SECONDS": "1.5"}, 20, 1.5),
], ids=["defaults", "more-workers", "longer-idle"])
def test_worker_settings_reach_kopf(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], workers: int,
                                    idle: float) -> None:
    for key in ("MODELYARD_MAX_WORKERS", "MODELYARD_WORKER_IDLE_SECONDS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = kopf.OperatorSettings()
    configure_kopf(settings, Settings.from_env())
    assert (settings.queueing.worker_limit, settings.queueing.idle_timeout) == (workers, idle)
