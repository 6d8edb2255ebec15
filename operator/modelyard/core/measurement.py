"""What a metric provider returns: a measurement, never a verdict (``core.analysis`` judges)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Measurement:
    """One reading of one metric.

    ``value`` is None when the provider could not produce a number; ``error`` then says why
    (unreachable, bad query, garbage answer). ``requests`` is the traffic the value is based on in the
    measured window, when the provider knows it: too little traffic is Inconclusive, never a pass.
    """

    metric: str
    at: datetime
    value: float | None = None
    requests: float | None = None
    error: str | None = None

    @property
    def failed_to_measure(self) -> bool:
        return self.error is not None or self.value is None
