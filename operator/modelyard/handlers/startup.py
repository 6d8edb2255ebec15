"""Operator start-up and clean-up: kopf settings, the shared API client."""

from __future__ import annotations

import logging
from typing import Any

import kopf

from modelyard.adapters.kube import KubeClient, connection_from_environment
from modelyard.adapters.telemetry import serve_metrics
from modelyard.config import Settings
from modelyard.controller.signals import Signals
from modelyard.controller.wakeups import Wakeups


def configure_kopf(settings: kopf.OperatorSettings, ours: Settings) -> None:
    """Apply our settings to kopf's: watch timeouts, peering, progress storage, concurrency."""
    settings.watching.server_timeout = ours.watch_server_timeout
    settings.watching.client_timeout = ours.watch_client_timeout
    settings.watching.inactivity_timeout = ours.watch_inactivity_timeout
    settings.watching.connect_timeout = 30
    settings.peering.name = ours.peering_name
    settings.peering.priority = ours.priority
    settings.peering.lifetime = ours.peering_lifetime
    settings.peering.standalone = ours.standalone
    settings.peering.mandatory = not ours.standalone
    settings.queueing.worker_limit = ours.max_workers or None
    if ours.max_workers:
        logging.getLogger(__name__).warning(
            "worker limit %d: kopf freezes at start-up if more indexed objects than that already exist "
            "(see config.Settings.max_workers)", ours.max_workers)
    settings.queueing.idle_timeout = ours.worker_idle_seconds
    settings.posting.level = logging.WARNING  # our own Events tell the story; kopf would add one per handler run
    settings.persistence.finalizer = "modelyard.io/finalizer"
    # Handler progress in annotations only: kopf's default also writes status.kopf, which our structural
    # schemas do not declare (the API server would prune it, or refuse it under strict validation).
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage()


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """``memo.settings`` is what ``runner.operate`` was given (defaults when kopf runs this module alone)."""
    ours: Settings = memo.get("settings") or Settings.from_env()
    memo.settings = ours
    configure_kopf(settings, ours)
    memo.kube = KubeClient(connection_from_environment())
    memo.wakeups = Wakeups()  # shared by every object's memo (a shallow copy of this one)
    memo.usage_signals = Signals()  # per InferenceService, the usages its last nudge told the ModelVersions
    memo.metrics_server = serve_metrics(ours.metrics_port) if ours.metrics_port else None


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    if getattr(memo, "kube", None) is not None:
        await memo.kube.close()
    if getattr(memo, "metrics_server", None) is not None:
        memo.metrics_server.shutdown()
