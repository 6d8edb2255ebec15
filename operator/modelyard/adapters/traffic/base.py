"""The narrow interface every traffic router implements (as Flagger's ``router.Interface``).

Adapters do not render: the controller hands the router its objects already built by
``render.serving.build_router_objects`` (Services, and for Gateway API the weighted HTTPRoute).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Routing:
    """Where traffic should go for one InferenceService: ``weight`` percent to the canary."""

    namespace: str
    name: str
    weight: int
    objects: list[dict[str, Any]] = field(default_factory=list)  # applied in order (Services before the route)
    pod_selector: Mapping[str, str] = field(default_factory=dict)  # every pod of the InferenceService
    version_label: str = ""  # the pod label naming the version
    canary_version: str | None = None  # its value on canary pods
    canary_backend: str | None = None  # the canary Service, for gatewayAPI


class TrafficRouter(Protocol):
    """Move traffic between stable and canary; report what it really delivers."""

    async def apply(self, routing: Routing) -> None:
        """Create or converge the router's objects so ``routing.weight`` percent reaches the canary."""
        ...

    async def observe_weight(self, routing: Routing) -> int | None:
        """The canary's share of traffic the router delivers now (None: cannot tell)."""
        ...
