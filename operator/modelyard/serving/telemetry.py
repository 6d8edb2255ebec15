"""The server's own Prometheus metrics, on a registry of its own (several servers may share a process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: Fine buckets at the low end: a small model answers in well under a millisecond.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUESTS = "modelyard_server_requests"
DURATION = "modelyard_server_request_duration_seconds"
CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServerMetrics:
    """Infer requests by model, version and status code; infer latency; which model is loaded."""

    def __init__(self, model: str, version: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.model, self.version = model, version
        self._requests = Counter(REQUESTS, "Infer requests by model, version and HTTP status code.",
                                 ["model", "version", "code"], registry=self.registry)
        self._duration = Histogram(DURATION, "Infer request duration in seconds.", ["model", "version"],
                                   buckets=LATENCY_BUCKETS, registry=self.registry)
        self._info = Gauge("modelyard_server_model_info", "The loaded model (always 1).",
                           ["model", "version", "digest", "format"], registry=self.registry)
        self.in_flight = Gauge("modelyard_server_requests_in_flight", "Infer requests being answered.",
                               ["model", "version"], registry=self.registry).labels(model, version)
        self._by_code: dict[int, Counter] = {}
        self._observe = self._duration.labels(model, version).observe
        for code in (200, 500):  # the series exist from the start, so increase() has a zero to start from
            self.count(code, add=0)

    def loaded(self, digest: str, fmt: str) -> None:
        self._info.labels(self.model, self.version, digest, fmt).set(1)

    def count(self, code: int, add: float = 1) -> None:
        child = self._by_code.get(code)
        if child is None:
            child = self._by_code[code] = self._requests.labels(self.model, self.version, str(code))
        child.inc(add)

    def observe(self, seconds: float) -> None:
        self._observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
