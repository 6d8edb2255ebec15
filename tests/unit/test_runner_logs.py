"""kopf's routine success lines are dropped; failures, retries and warnings are kept."""

from __future__ import annotations

import logging

import pytest

from modelyard.runner import _RoutineSuccess


@pytest.mark.parametrize(("level", "message", "kept"), [
    (logging.INFO, "Handler 'reconcile' succeeded.", False),
    (logging.INFO, "Timer 'resync' succeeded.", False),
    (logging.INFO, "Creation is processed: 1 succeeded; 0 failed.", False),
    (logging.INFO, "Handler 'reconcile' failed temporarily: later", True),
    (logging.ERROR, "Handler 'reconcile' failed with an exception. Will retry.", True),
    (logging.WARNING, "Daemon 'rollout' succeeded.", True),
    (logging.INFO, "Adding the finalizer, thus preventing the actual deletion.", True),
], ids=["handler-success", "timer-success", "creation-processed", "temporary-failure", "error", "warning-level",
        "other-info"])
def test_routine_success_filter(level: int, message: str, kept: bool) -> None:
    record = logging.LogRecord("kopf.objects", level, __file__, 1, message, (), None)
    assert _RoutineSuccess().filter(record) is kept
