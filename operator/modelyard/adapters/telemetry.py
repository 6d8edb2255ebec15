"""The operator's own Prometheus metrics, shaped like controller-runtime's and Flagger's.

Names carry the unit and ``_total`` on counters; labels are bounded (controller, result, outcome,
reason, verdict), except the per-InferenceService gauges, which Flagger also keys by name and
namespace and which are removed when the object goes away.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from modelyard.api.inferenceservice import AnalysisMetric, HistoryEntry, InferenceServiceStatus
from modelyard.core.analysis import assess_measurement
from modelyard.core.measurement import Measurement

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
    """Count and time each call of an async handler under ``controller``; errors re-raised.

    While the handler runs, every log line carries the object it is about (see :func:`object_ref`).
    """

    def wrap(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(fn)
        async def timed(*args: P.args, **kwargs: P.kwargs) -> T:
            token = CURRENT_OBJECT.set(object_ref(kwargs.get("body")))
            started = time.perf_counter()
            try:
                result = await fn(*args, **kwargs)
            except Exception as e:
                requeue = type(e).__name__ == "TemporaryError"  # kopf's "try again later", not a failure
                RECONCILE_TOTAL.labels(controller, "requeue" if requeue else "error").inc()
                if not requeue:
                    RECONCILE_ERRORS.labels(controller).inc()
                raise
            finally:
                RECONCILE_TIME.labels(controller).observe(time.perf_counter() - started)
                CURRENT_OBJECT.reset(token)
            RECONCILE_TOTAL.labels(controller, "success").inc()
            return result

        return timed

    return wrap


# -- Logs: the object a line is about ------------------------------------------------------------------

CURRENT_OBJECT: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "modelyard_current_object", default=None)


def object_ref(body: Any) -> dict[str, Any] | None:
    """The reference kopf's log formatters print (``[namespace/name]``, or ``object`` in JSON)."""
    if not isinstance(body, Mapping):
        return None
    meta = body.get("metadata") or {}
    return {"apiVersion": body.get("apiVersion"), "kind": body.get("kind"), "name": meta.get("name"),
            "uid": meta.get("uid"), "namespace": meta.get("namespace")}


def install_object_log_context() -> None:
    """Make every log record made inside an instrumented handler carry its object (idempotent).

    kopf's own per-object loggers already do; this covers the module loggers of controller/ and
    adapters/. The attribute is ``k8s_ref``, which kopf's text and JSON formatters render; the record
    gets no ``settings``, so kopf does not also post it as a Kubernetes Event.
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "modelyard", False):
        return

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        ref = CURRENT_OBJECT.get()
        if ref is not None and not hasattr(record, "k8s_ref"):
            record.k8s_ref = ref
        return record

    make.modelyard = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)


# -- Liveness: are the watches delivering what the API holds? ---------------------------------------

Key = tuple[str, str]  # (resource plural, object uid)


@dataclass
class WatchTracker:
    """The object versions the operator's watches delivered, against what the API lists.

    A watch is stuck when the API holds an object version that the watch has not delivered for longer
    than a grace period while the watch made no progress on that object. An idle cluster is never
    stuck: when nothing changes, everything listed was delivered by the initial listing. Time is an
    argument (seconds on any monotonic clock).

    >>> t = WatchTracker()
    >>> t.saw("mv", "u1", "5")
    >>> t.assess("mv", [("u1", "5")], now=0.0, grace=60)
    []
    >>> t.assess("mv", [("u1", "7")], now=10.0, grace=60)
    []
    >>> t.assess("mv", [("u1", "7")], now=80.0, grace=60)
    ['mv u1: resourceVersion 7 listed but not delivered for 70s']
    >>> t.saw("mv", "u1", "7"); t.assess("mv", [("u1", "7")], now=81.0, grace=60)
    []
    """

    seen: dict[Key, str] = field(default_factory=dict)
    lagging: dict[Key, tuple[float, str | None]] = field(default_factory=dict)  # since, seen rv then

    def saw(self, plural: str, uid: str, resource_version: str, *, deleted: bool = False) -> None:
        """A watch delivered this object version (or its deletion)."""
        if deleted:
            self.seen.pop((plural, uid), None)
            self.lagging.pop((plural, uid), None)
        else:
            self.seen[(plural, uid)] = resource_version

    def assess(self, plural: str, listed: Iterable[tuple[str, str]], now: float, grace: float) -> list[str]:
        """What is stuck among ``listed`` (uid, resourceVersion) pairs; remembers what lags since when."""
        stuck, current = [], set()
        for uid, rv in listed:
            key = (plural, uid)
            current.add(key)
            seen = self.seen.get(key)
            if seen == rv:
                self.lagging.pop(key, None)
                continue
            since, seen_then = self.lagging.get(key, (now, seen))
            if seen_then != seen:  # the watch moved on since: progress, not stuck
                since = now
            self.lagging[key] = (since, seen)
            if now - since > grace:
                stuck.append(f"{plural} {uid}: resourceVersion {rv} listed but not delivered for {now - since:.0f}s")
        for key in [k for k in self.lagging if k[0] == plural and k not in current]:
            del self.lagging[key]
        return stuck


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


# -- Rollouts: what one InferenceService decision finished ---------------------------------------------

ROLLBACK_OUTCOMES = ("RolledBack", "Aborted")  # a canary that took traffic went back to stable
ROLLBACK_CAUSES = (("pods failing", "PodsFailing"), ("not ready within", "ReadyDeadline"),
                   ("failed analysis (Error)", "AnalysisError"), ("failed analysis", "AnalysisFailed"),
                   ("made no progress", "ProgressDeadline"))


def record_rollout(meta: Mapping[str, Any], before: InferenceServiceStatus, after: InferenceServiceStatus,
                   metrics: Sequence[AnalysisMetric], measurements: Iterable[Measurement]) -> None:
    """Everything one InferenceService decision tells the metrics: its gauges, the measurements judged,
    and the rollouts (and rollbacks) it finished. A decision whose status write is refused (409) is made
    again and counted again: counters count decisions, as controller-runtime's count reconciles."""
    record_service_state(meta.get("namespace", ""), meta.get("name", ""), after.phase,
                         after.canary_weight if after.canary is not None else 0)
    for verdict in calculate_measurement_verdicts(metrics, measurements):
        ANALYSIS_MEASUREMENTS.labels(verdict).inc()
    for entry in calculate_finished_rollouts(before.history, after.history):
        ROLLOUTS_TOTAL.labels(entry.outcome).inc()
        if entry.outcome in ROLLBACK_OUTCOMES:
            ROLLBACKS_TOTAL.labels(calculate_rollback_reason(entry)).inc()


def calculate_measurement_verdicts(metrics: Sequence[AnalysisMetric], measurements: Iterable[Measurement]) -> list[str]:
    """The verdict of each measurement by the analysis rules (``core.analysis``); unknown metric: Error."""
    by_name = {m.name: m for m in metrics}
    return [assess_measurement(by_name[m.metric], m)[0].value if m.metric in by_name else "Error"
            for m in measurements]


def calculate_finished_rollouts(before: Sequence[HistoryEntry], after: Sequence[HistoryEntry]) -> list[HistoryEntry]:
    """History entries the decision added (history is newest first and bounded, so compare by identity)."""
    known = {(e.model_version, e.outcome, e.time) for e in before}
    return [e for e in after if (e.model_version, e.outcome, e.time) not in known]


def calculate_rollback_reason(entry: HistoryEntry) -> str:
    """A bounded label for why a canary was rolled back, from the rollout's outcome and message."""
    if entry.outcome != "RolledBack":
        return entry.outcome
    message = entry.message or ""
    return next((reason for text, reason in ROLLBACK_CAUSES if text in message), "Other")


def serve_metrics(port: int, addr: str = "0.0.0.0") -> Any:
    """Expose /metrics on ``port`` in a background thread; returns the server (``shutdown()`` stops it)."""
    server, _thread = start_http_server(port, addr=addr, registry=REGISTRY)
    return server
