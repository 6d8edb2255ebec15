"""Operator start-up and clean-up: kopf settings, the shared API client."""

from __future__ import annotations

from typing import Any

import kopf

from modelyard.adapters.kube import KubeClient, connection_from_environment
from modelyard.adapters.telemetry import serve_metrics


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    from modelyard import handlers
    from modelyard.runner import configure_kopf

    configure_kopf(settings, handlers.SETTINGS)
    memo.settings = handlers.SETTINGS
    memo.kube = KubeClient(connection_from_environment())
    port = handlers.SETTINGS.metrics_port
    memo.metrics_server = serve_metrics(port) if port else None


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    if getattr(memo, "kube", None) is not None:
        await memo.kube.close()
    if getattr(memo, "metrics_server", None) is not None:
        memo.metrics_server.shutdown()
