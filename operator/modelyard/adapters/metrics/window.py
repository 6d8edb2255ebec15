"""Pure arithmetic of the builtin provider: parse a /metrics page, subtract snapshots, interpolate quantiles.

No I/O. ``histogram_quantile`` follows Prometheus' own interpolation (promql/quantile.go).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from prometheus_client.parser import text_string_to_metric_families

REQUESTS_FAMILY = "modelyard_server_requests"
DURATION_FAMILY = "modelyard_server_request_duration_seconds"
K = TypeVar("K")


@dataclass(frozen=True)
class Snapshot:
    """Cumulative infer counters of one server: requests by status code, latency buckets by upper bound."""

    requests_by_code: Mapping[str, float] = field(default_factory=dict)
    buckets: Mapping[float, float] = field(default_factory=dict)

    @property
    def requests(self) -> float:
        return sum(self.requests_by_code.values())


def parse_snapshot(text: str) -> Snapshot:
    """Sum a model server's /metrics over its label sets; ValueError on garbage or a foreign page."""
    by_code: dict[str, float] = {}
    buckets: dict[float, float] = {}
    seen = False
    for family in text_string_to_metric_families(text):
        if family.name not in (REQUESTS_FAMILY, DURATION_FAMILY):
            continue
        seen = seen or family.name == REQUESTS_FAMILY
        for sample in family.samples:
            if sample.name == REQUESTS_FAMILY + "_total":
                code = sample.labels.get("code", "")
                by_code[code] = by_code.get(code, 0.0) + float(sample.value)
            elif sample.name == DURATION_FAMILY + "_bucket":
                le = float(sample.labels["le"])
                buckets[le] = buckets.get(le, 0.0) + float(sample.value)
    if not seen:
        raise ValueError(f"no {REQUESTS_FAMILY} metric: not a modelyard model server's /metrics")
    return Snapshot(by_code, buckets)


def window(previous: Snapshot | None, current: Snapshot) -> Snapshot:
    """What happened between two scrapes; the whole of ``current`` on the first scrape or after a reset.

    >>> window(Snapshot({"200": 5.0}, {1.0: 5.0}), Snapshot({"200": 8.0, "500": 2.0}, {1.0: 10.0}))
    Snapshot(requests_by_code={'200': 3.0, '500': 2.0}, buckets={1.0: 5.0})
    >>> window(Snapshot({"200": 9.0}), Snapshot({"200": 4.0})).requests_by_code  # restarted: a reset
    {'200': 4.0}
    """
    if previous is None:
        return current
    codes = _subtract(previous.requests_by_code, current.requests_by_code)
    buckets = _subtract(previous.buckets, current.buckets)
    if codes is None or buckets is None:
        return current
    return Snapshot(codes, buckets)


def _subtract(before: Mapping[K, float], after: Mapping[K, float]) -> dict[K, float] | None:
    """``after - before`` per key; None when any counter went down (a counter reset)."""
    out = {k: v - before.get(k, 0.0) for k, v in after.items()}
    if any(v < 0 for v in out.values()) or any(k not in after for k in before):
        return None
    return out


def combine(snapshots: Iterable[Snapshot]) -> Snapshot:
    """Sum windows of several pods."""
    by_code: dict[str, float] = {}
    buckets: dict[float, float] = {}
    for s in snapshots:
        for code, n in s.requests_by_code.items():
            by_code[code] = by_code.get(code, 0.0) + n
        for le, n in s.buckets.items():
            buckets[le] = buckets.get(le, 0.0) + n
    return Snapshot(by_code, buckets)


def error_rate(requests_by_code: Mapping[str, float]) -> float | None:
    """Share of 5xx answers; None without requests.

    >>> error_rate({"200": 90.0, "500": 6.0, "503": 4.0}), error_rate({"200": 0.0})
    (0.1, None)
    """
    total = sum(requests_by_code.values())
    if total <= 0:
        return None
    return sum(n for code, n in requests_by_code.items() if code.startswith("5")) / total


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float:
    """Prometheus' ``histogram_quantile`` over cumulative buckets ``{upper_bound: count}``; NaN when empty.

    >>> round(histogram_quantile(0.5, {0.1: 0.0, 0.2: 10.0, math.inf: 10.0}), 6)  # all in (0.1, 0.2]: midpoint
    0.15
    >>> histogram_quantile(0.99, {0.1: 5.0, math.inf: 10.0})  # in +Inf: the highest finite bound
    0.1
    """
    if math.isnan(q) or q < 0 or q > 1:
        return -math.inf if q < 0 else math.inf if q > 1 else math.nan
    bounds = sorted(buckets)
    if len(bounds) < 2 or bounds[-1] != math.inf:
        return math.nan
    counts = _monotonic([buckets[b] for b in bounds])
    total = counts[-1]
    if total <= 0:
        return math.nan
    rank = q * total
    b = next((i for i, c in enumerate(counts[:-1]) if c >= rank), len(bounds) - 1)
    if b == len(bounds) - 1:
        return bounds[-2]
    if b == 0 and bounds[0] <= 0:
        return bounds[0]
    start, count = 0.0, counts[b]
    if b > 0:
        start, count, rank = bounds[b - 1], counts[b] - counts[b - 1], rank - counts[b - 1]
    return start + (bounds[b] - start) * (rank / count)


def _monotonic(counts: list[float]) -> list[float]:
    """Cumulative counts never decrease (Prometheus fixes float jitter the same way)."""
    out: list[float] = []
    for c in counts:
        out.append(max(c, out[-1]) if out else c)
    return out
