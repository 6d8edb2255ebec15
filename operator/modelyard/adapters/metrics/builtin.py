"""Measure from the canary pods' own /metrics: no Prometheus needed.

Each measurement scrapes every ready canary pod and subtracts the snapshot it kept from that pod's previous
scrape (per metric, so two metrics measured together don't steal each other's window). The first scrape
of a pod uses its counters since start: the pod was born with the canary. Restarted pods (counters went
down) count from zero, like Prometheus' ``increase``. State lives in memory only; losing it after an
operator restart just makes the next window longer.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime

import aiohttp

from modelyard.adapters.metrics.base import Target
from modelyard.adapters.metrics.window import Snapshot, combine, error_rate, histogram_quantile, parse_snapshot, window
from modelyard.api.inferenceservice import AnalysisMetric, BuiltinMetric
from modelyard.core.measurement import Measurement

GroupKey = tuple[str, str, str, str]  # namespace, service, canary version, metric name
QUANTILES = {BuiltinMetric.LATENCY_P50.value: 0.5, BuiltinMetric.LATENCY_P99.value: 0.99}


def assess_window(kind: str, total: Snapshot) -> tuple[float | None, str | None]:
    """(value, error) of one builtin metric over a window. Pure.

    >>> assess_window("errorRate", Snapshot({"200": 3.0, "500": 1.0}))
    (0.25, None)
    >>> assess_window("latencyP99", Snapshot({"200": 0.0}))
    (None, 'no infer requests in the window')
    """
    if total.requests <= 0:
        return None, "no infer requests in the window"
    if kind == BuiltinMetric.ERROR_RATE.value:
        return error_rate(total.requests_by_code), None
    value = histogram_quantile(QUANTILES[kind], total.buckets)
    if math.isnan(value):
        return None, "the latency histogram is empty or has no +Inf bucket"
    return value, None


class BuiltinMetricsProvider:
    """Keep one instance for the operator's life: it holds the previous snapshot of each pod."""

    def __init__(self, timeout_seconds: float = 5.0) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._previous: dict[GroupKey, dict[str, Snapshot]] = {}

    async def measure(self, metric: AnalysisMetric, target: Target, now: datetime) -> Measurement:
        spec = metric.provider.builtin
        if spec is None:
            return Measurement(metric=metric.name, at=now, error="the metric has no builtin provider")
        if not target.canary_pod_urls:
            return Measurement(metric=metric.name, at=now, error="no ready canary pod to scrape")
        try:
            scraped, failures = await self._scrape_all(target.canary_pod_urls)
        except Exception as err:  # never raise
            return Measurement(metric=metric.name, at=now, error=f"{type(err).__name__}: {err}")
        if not scraped:
            return Measurement(metric=metric.name, at=now, error="no canary pod answered: " + "; ".join(failures))
        total = self._advance(self._key(metric, target), scraped)
        value, error = assess_window(str(spec.metric), total)
        return Measurement(metric=metric.name, at=now, value=value, requests=total.requests, error=error)

    def _advance(self, key: GroupKey, scraped: dict[str, Snapshot]) -> Snapshot:
        """The window since the previous scrape of each pod, summed; remember this scrape."""
        previous = self._previous.get(key, {})
        total = combine(window(previous.get(url), snap) for url, snap in scraped.items())
        kept = {url: snap for url, snap in previous.items() if url not in scraped}  # unreachable this time
        self._forget_other_versions(key)
        self._previous[key] = {**kept, **scraped}
        return total

    def _forget_other_versions(self, key: GroupKey) -> None:
        for other in [k for k in self._previous if k != key and (k[0], k[1], k[3]) == (key[0], key[1], key[3])]:
            del self._previous[other]

    @staticmethod
    def _key(metric: AnalysisMetric, target: Target) -> GroupKey:
        return target.namespace, target.service, target.canary_version, metric.name

    async def _scrape_all(self, urls: list[str]) -> tuple[dict[str, Snapshot], list[str]]:
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            results = await asyncio.gather(*(self._scrape(session, u) for u in urls))
        scraped = {u: r for u, r in zip(urls, results, strict=True) if isinstance(r, Snapshot)}
        return scraped, [r for r in results if isinstance(r, str)]

    async def _scrape(self, session: aiohttp.ClientSession, url: str) -> Snapshot | str:
        """The pod's snapshot, or why not."""
        try:
            async with session.get(url.rstrip("/") + "/metrics") as resp:
                text = await resp.text()
                if resp.status != 200:
                    return f"{url}: HTTP {resp.status}"
        except TimeoutError:
            return f"{url}: no answer within {self.timeout.total}s"
        except aiohttp.ClientError as err:
            return f"{url}: {type(err).__name__}: {err}"
        try:
            return parse_snapshot(text)
        except (ValueError, KeyError, TypeError) as err:
            return f"{url}: unreadable /metrics: {err}"
