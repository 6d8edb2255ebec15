"""The operator's own Prometheus metrics, shaped like controller-runtime's and Flagger's.

Names carry the unit and ``_total`` on counters; labels are bounded (controller, result, outcome,
reason, verdict), except the per-InferenceService gauges, which Flagger also keys by name and
namespace and which are removed when the object goes away.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

REGISTRY = CollectorRegistry(auto_describe=True)

RECONCILE_TOTAL = Counter(
    "modelyard_reconcile_total", "Reconciliations by controller and result.", ["controller", "result"],
    registry=REGISTRY,
)
RECONCILE_ERRORS = Counter(
    "modelyard_reconcile_errors_total", "Reconciliations that raised.", ["controller"], registry=REGISTRY
)
RECONCILE_TIME = Histogram(
    "modelyard_reconcile_time_seconds", "Time of one reconciliation.", ["controller"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CANARY_WEIGHT = Gauge(
    "modelyard_canary_weight", "Percent of traffic on the canary.", ["namespace", "name"], registry=REGISTRY
)
ROLLOUT_STATUS = Gauge(
    "modelyard_rollout_status",
    "Rollout state: 0 healthy, 1 progressing, 2 paused, 3 degraded (rolled back or stalled).",
    ["namespace", "name"], registry=REGISTRY,
)
ROLLOUTS_TOTAL = Counter(
    "modelyard_rollouts_total", "Finished rollouts by outcome.", ["outcome"], registry=REGISTRY
)
ROLLBACKS_TOTAL = Counter(
    "modelyard_rollbacks_total", "Rollbacks by reason.", ["reason"], registry=REGISTRY
)
TRAINING_JOBS_TOTAL = Counter(
    "modelyard_training_jobs_total", "Finished training jobs by outcome.", ["outcome"], registry=REGISTRY
)
TRAINING_DURATION = Histogram(
    "modelyard_training_duration_seconds", "Wall-clock time of finished training jobs.", ["outcome"],
    registry=REGISTRY, buckets=(10, 30, 60, 300, 600, 1800, 3600, 7200, 21600, 86400),
)
MODELVERSIONS_REGISTERED = Counter(
    "modelyard_modelversions_registered_total", "ModelVersions created from successful training.",
    registry=REGISTRY,
)
ANALYSIS_MEASUREMENTS = Counter(
    "modelyard_analysis_measurements_total", "Canary measurements by verdict.", ["verdict"], registry=REGISTRY
)
API_ERRORS = Counter(
    "modelyard_api_client_errors_total", "Kubernetes API calls that failed, by HTTP status.", ["code"],
    registry=REGISTRY,
)
API_RETRIES = Counter(
    "modelyard_api_client_retries_total", "Kubernetes API calls retried after a transient error.",
    registry=REGISTRY,
)

ROLLOUT_STATUS_VALUES = {"Healthy": 0, "Progressing": 1, "Paused": 2, "Degraded": 3}

P = ParamSpec("P")
T = TypeVar("T")


def instrumented(controller: str) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Count and time each call of an async handler under ``controller``; errors re-raised."""

    def wrap(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(fn)
        async def timed(*args: P.args, **kwargs: P.kwargs) -> T:
            started = time.perf_counter()
            try:
                result = await fn(*args, **kwargs)
            except Exception:
                RECONCILE_TOTAL.labels(controller, "error").inc()
                RECONCILE_ERRORS.labels(controller).inc()
                raise
            finally:
                RECONCILE_TIME.labels(controller).observe(time.perf_counter() - started)
            RECONCILE_TOTAL.labels(controller, "success").inc()
            return result

        return timed

    return wrap


def record_service_state(namespace: str, name: str, phase: str | None, weight: int) -> None:
    """The per-InferenceService gauges."""
    CANARY_WEIGHT.labels(namespace, name).set(weight)
    if phase in ROLLOUT_STATUS_VALUES:
        ROLLOUT_STATUS.labels(namespace, name).set(ROLLOUT_STATUS_VALUES[phase])


def forget_service(namespace: str, name: str) -> None:
    """Drop the per-InferenceService series of a deleted object."""
    for gauge in (CANARY_WEIGHT, ROLLOUT_STATUS):
        with contextlib.suppress(KeyError):
            gauge.remove(namespace, name)


def serve_metrics(port: int, addr: str = "0.0.0.0") -> Any:
    """Expose /metrics on ``port`` in a background thread; returns the server (``shutdown()`` stops it)."""
    server, _thread = start_http_server(port, addr=addr, registry=REGISTRY)
    return server
