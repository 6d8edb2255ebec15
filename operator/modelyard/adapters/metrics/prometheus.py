"""Measure with a PromQL instant query against a Prometheus server (``GET /api/v1/query``).

The query is templated (``{{canary}}``, ``{{stable}}``, ``{{namespace}}``, ``{{service}}``, ``{{interval}}``)
and must return exactly one finite number. Everything else (empty result, several series, NaN, HTTP and
connection errors, timeouts, ``status: error``) comes back as ``Measurement.error`` naming what happened.
An optional ``trafficQuery`` fills ``Measurement.requests``; its empty result means no traffic (0).
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

import aiohttp

from modelyard.adapters.metrics.base import Target
from modelyard.api.inferenceservice import AnalysisMetric
from modelyard.core.measurement import Measurement

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_]+)\s*\}\}")


class QueryError(Exception):
    """The query produced no usable number; the message says why."""


def template_values(target: Target) -> dict[str, str | None]:
    return {"canary": target.canary_version, "stable": target.stable_version, "namespace": target.namespace,
            "service": target.service, "interval": f"{max(1, round(target.window_seconds))}s"}


def render_query(query: str, target: Target) -> str:
    """Fill the ``{{variables}}``; QueryError for an unknown one or a missing stable version.

    >>> t = Target(namespace="ml", service="iris", canary_version="iris-v2", stable_version=None)
    >>> render_query('sum(rate(x{version="{{ canary }}"}[{{interval}}]))', t)
    'sum(rate(x{version="iris-v2"}[60s]))'
    """
    values = template_values(target)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise QueryError(f"unknown template variable {{{{{name}}}}} (use {', '.join(values)})")
        value = values[name]
        if value is None:
            raise QueryError(f"{{{{{name}}}}} has no value: there is no {name} version yet")
        return value

    return _VARIABLE.sub(fill, query)


def parse_instant(doc: Any) -> float:
    """The one number of an instant-query answer (vector of one sample, or scalar); QueryError otherwise."""
    if not isinstance(doc, dict):
        raise QueryError("the answer is not a JSON object")
    if doc.get("status") != "success":
        raise QueryError(f"Prometheus error: {doc.get('errorType', 'unknown')}: {doc.get('error', 'no message')}")
    data = doc.get("data")
    if not isinstance(data, dict):
        raise QueryError("the answer has no data")
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        return _number(result)
    if kind != "vector":
        raise QueryError(f"the query returned a {kind}; it must return an instant vector or a scalar")
    if not isinstance(result, list) or not result:
        raise QueryError("empty result: no series matched the query")
    if len(result) > 1:
        raise QueryError(f"{len(result)} series returned; the query must return exactly one (aggregate it)")
    series = result[0]
    return _number(series.get("value") if isinstance(series, dict) else None)


def _number(pair: Any) -> float:
    if not isinstance(pair, list) or len(pair) != 2:
        raise QueryError(f"malformed sample {pair!r}")
    try:
        value = float(pair[1])
    except (TypeError, ValueError) as err:
        raise QueryError(f"non-numeric value {pair[1]!r}") from err
    if not math.isfinite(value):
        raise QueryError(f"the value is {pair[1]} (e.g. a division by zero without traffic)")
    return value


class PrometheusMetricsProvider:
    """One instance serves every Prometheus metric; a fresh HTTP session per measurement."""

    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def measure(self, metric: AnalysisMetric, target: Target, now: datetime) -> Measurement:
        spec = metric.provider.prometheus
        if spec is None:
            return Measurement(metric=metric.name, at=now, error="the metric has no prometheus provider")
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as session:
                value = await self._query(session, spec.address, render_query(spec.query, target))
                requests = None
                if spec.traffic_query:
                    requests = await self._traffic(session, spec.address, render_query(spec.traffic_query, target))
        except QueryError as err:
            return Measurement(metric=metric.name, at=now, error=str(err))
        except Exception as err:  # never raise: anything unexpected is a measurement error
            return Measurement(metric=metric.name, at=now, error=f"{type(err).__name__}: {err}")
        return Measurement(metric=metric.name, at=now, value=value, requests=requests)

    async def _traffic(self, session: aiohttp.ClientSession, address: str, query: str) -> float:
        try:
            return await self._query(session, address, query)
        except QueryError as err:
            if str(err).startswith("empty result"):
                return 0.0  # no series: no traffic yet
            raise QueryError(f"trafficQuery: {err}") from err

    async def _query(self, session: aiohttp.ClientSession, address: str, query: str) -> float:
        url = address.rstrip("/") + "/api/v1/query"
        try:
            async with session.get(url, params={"query": query}) as resp:
                body = await resp.text()
                status = resp.status
        except aiohttp.ClientConnectorError as err:
            raise QueryError(f"cannot reach Prometheus at {address}: {err}") from err
        except TimeoutError as err:
            raise QueryError(f"Prometheus at {address} did not answer within {self.timeout.total}s") from err
        except aiohttp.ClientError as err:
            raise QueryError(f"query to {address} failed: {type(err).__name__}: {err}") from err
        return _answer(status, body)


def _answer(status: int, body: str) -> float:
    """The number in an HTTP answer; Prometheus puts its error JSON in 4xx/5xx bodies too."""
    try:
        doc = json.loads(body)
    except ValueError:
        raise QueryError(f"HTTP {status}, not a Prometheus API answer: {body[:200]!r}") from None
    if status != 200:
        detail = f"{doc.get('errorType')}: {doc.get('error')}" if isinstance(doc, dict) else body[:200]
        raise QueryError(f"HTTP {status}: {detail}")
    return parse_instant(doc)
