"""Helpers shared by the sandbox integration tests (imported by name: the folder is not a package)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

WIDGET_CRD = Path(__file__).parents[2] / "unit" / "sandbox" / "fixtures" / "widget-crd.yaml"
WIDGETS = "/apis/example.modelyard.io/v1/namespaces/default/widgets"


def pod_logs(namespace: str, name: str, container: str) -> str:
    if name == "broken":
        raise RuntimeError("log source exploded")
    return f"logs of {namespace}/{name}/{container}\n"


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 10.0) -> Any:
    """Poll an async check until it returns something truthy or the deadline passes."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.02)
