"""The narrow interface every metric provider implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from modelyard.api.inferenceservice import AnalysisMetric
from modelyard.core.measurement import Measurement


@dataclass(frozen=True)
class Target:
    """What is being measured: the canary (and the stable it is compared with), where they run."""

    namespace: str
    service: str  # the InferenceService name
    canary_version: str  # ModelVersion name of the canary
    stable_version: str | None
    canary_pod_urls: list[str] = field(default_factory=list)  # http://ip:port of ready canary pods (builtin)
    window_seconds: float = 60.0  # the analysis interval, for rate windows


class MetricsProvider(Protocol):
    """Measure one metric for one target. Never raises: failures come back as ``Measurement.error``."""

    async def measure(self, metric: AnalysisMetric, target: Target, now: datetime) -> Measurement: ...
