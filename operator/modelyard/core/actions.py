"""What a decision asks the controller to do, in order. Pure data: the controller executes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class Apply:
    """Create or converge this manifest (server-side apply, field manager ``modelyard``), skipped when the
    object already is what it describes (``core.derivative``). ``live`` is the object as observed when
    ``observed`` (None: absent); otherwise it is read first."""

    manifest: dict[str, Any]
    live: dict[str, Any] | None = None
    observed: bool = False


@dataclass(frozen=True)
class CreateIfAbsent:
    """Create this manifest unless an object of that name exists; never overwrite (e.g. a ModelVersion)."""

    manifest: dict[str, Any]


@dataclass(frozen=True)
class Patch:
    """A JSON merge patch to an object (``subresource='status'`` for another object's status)."""

    api_version: str
    kind: str
    namespace: str
    name: str
    patch: dict[str, Any]
    subresource: str | None = None


@dataclass(frozen=True)
class Delete:
    """Delete an object if it exists."""

    api_version: str
    kind: str
    namespace: str
    name: str


@dataclass(frozen=True)
class EmitEvent:
    """A Kubernetes Event on the object being reconciled."""

    type: str  # Normal | Warning
    reason: str  # CamelCase
    message: str
    #: When set, the Event is named after it and posted at most once: two reconciles that decide the same
    #: transition from the same state (racing writers) post one Event, not two. Empty: a fresh name each time.
    key: str = ""


Action = Apply | CreateIfAbsent | Patch | Delete | EmitEvent


@dataclass(frozen=True)
class Decision:
    """The outcome of one ``decide_*``: the new status, what to do, when to look again."""

    status: dict[str, Any]
    actions: list[Action] = field(default_factory=list)
    requeue_after: timedelta | None = None
