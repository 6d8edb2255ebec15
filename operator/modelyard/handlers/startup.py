"""Operator start-up and clean-up: kopf settings, the shared API client."""

from __future__ import annotations

from typing import Any

import kopf

from modelyard.adapters.kube import KubeClient, connection_from_environment


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    from modelyard import handlers
    from modelyard.runner import configure_kopf

    configure_kopf(settings, handlers.SETTINGS)
    memo.settings = handlers.SETTINGS
    memo.kube = KubeClient(connection_from_environment())


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    if getattr(memo, "kube", None) is not None:
        await memo.kube.close()
