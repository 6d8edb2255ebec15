"""What the HTTP layer shares: the store, faults, the request log, hooks and settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from modelyard.sandbox.faults import Faults, RequestLog
from modelyard.sandbox.store import Store

LogOutput = str | Awaitable[str] | AsyncIterator[str]
LogSource = Callable[[str, str, str], LogOutput]


def no_logs(namespace: str, name: str, container: str) -> str:
    """The default pod log source: empty logs."""
    return ""


@dataclass
class ServerContext:
    """Shared state of one API server.

    ``log_source(namespace, pod, container)`` produces ``pods/log`` text: a string, an awaitable of one,
    or an async iterator of chunks (streamed). ``bookmark_interval`` is how often watches that allow
    bookmarks get one (a real server sends one about every minute); ``max_watch_seconds`` bounds a watch
    without ``timeoutSeconds`` (a real server picks 30-60 minutes).
    """

    store: Store
    faults: Faults = field(default_factory=Faults)
    requests: RequestLog = field(default_factory=RequestLog)
    log_source: LogSource = no_logs
    bookmark_interval: float = 10.0
    max_watch_seconds: float = 1800.0
    server_address: str = "127.0.0.1:0"
