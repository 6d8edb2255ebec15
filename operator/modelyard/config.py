"""Operator settings from flags and environment; each one mirrors a Helm value of the chart."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str]:
    return [n.strip() for n in os.environ.get(name, "").split(",") if n.strip()]


@dataclass
class Settings:
    """How the operator runs (Helm value in parentheses)."""

    namespaces: list[str] = field(default_factory=list)  # watch.namespaces; empty = cluster-wide
    standalone: bool = True  # ha.enabled=false -> no peering
    peering_name: str = "modelyard"  # ha.peeringName
    priority: int = 0  # ha: distinct priority per replica
    peering_lifetime: int = 60  # env MODELYARD_PEERING_LIFETIME (extraEnv): seconds a silent replica counts as alive
    liveness_endpoint: str | None = "http://0.0.0.0:8081/healthz"  # probes.port
    metrics_port: int = 8080  # metrics.port; 0 disables
    log_format: str = "plain"  # logging.format: plain | json
    log_level: str = "INFO"  # logging.level
    serving_image: str = "ghcr.io/modelyard/modelyard:0.1.0"  # runtimes.server.image
    watch_server_timeout: int = 300  # seconds the API server keeps one watch open
    watch_client_timeout: int = 330  # seconds the client waits for a watch call in total
    watch_inactivity_timeout: int = 360  # seconds with no event before a watch is restarted
    # Objects handled at once; 0: no bound (kopf's default). A bound below the number of indexed objects
    # (ModelVersions, InferenceServices) freezes kopf at start-up: each existing object is indexed in a
    # worker of its own, and that worker holds its slot until every object is indexed (kopf
    # _core/reactor/queueing.py and processing.py), so the listing never finishes. Only for tests and
    # experiments; ``configure_kopf`` warns.
    max_workers: int = 0
    # How long an object's kopf worker waits for another event before it frees its slot (kopf's default
    # is 5 s: under a worker bound, a burst was handled at max_workers / 5 objects per second; bench/).
    worker_idle_seconds: float = 0.2

    @classmethod
    def from_env(cls) -> Settings:
        """Defaults overridden by MODELYARD_* environment variables (the chart sets these)."""
        s = cls()
        s.namespaces = _env_list("MODELYARD_NAMESPACES") or s.namespaces
        s.standalone = not _env_bool("MODELYARD_PEERING", not s.standalone)
        s.peering_name = os.environ.get("MODELYARD_PEERING_NAME", s.peering_name)
        s.priority = int(os.environ.get("MODELYARD_PRIORITY", s.priority))
        s.peering_lifetime = int(os.environ.get("MODELYARD_PEERING_LIFETIME", s.peering_lifetime))
        s.metrics_port = int(os.environ.get("MODELYARD_METRICS_PORT", s.metrics_port))
        s.log_format = os.environ.get("MODELYARD_LOG_FORMAT", s.log_format)
        s.log_level = os.environ.get("MODELYARD_LOG_LEVEL", s.log_level)
        s.serving_image = os.environ.get("MODELYARD_SERVING_IMAGE", s.serving_image)
        s.max_workers = int(os.environ.get("MODELYARD_MAX_WORKERS", s.max_workers))
        s.worker_idle_seconds = float(os.environ.get("MODELYARD_WORKER_IDLE_SECONDS", s.worker_idle_seconds))
        return s
