"""Health probes (kopf's liveness endpoint) and the per-object log context.

kopf serves one endpoint (``settings.liveness_endpoint``, ``/healthz``) that runs every
``@kopf.on.probe`` handler and answers 500 when one raises. Two probes:

- ``watches``: fails when a watch is stuck, that is when the API lists an object version the
  operator's watch has not delivered for ``MODELYARD_WATCH_STUCK_SECONDS`` (default: the watch
  inactivity timeout + 60s, so kopf's own reconnect of a silent watch gets its chance first). The
  watches feed a :class:`~modelyard.adapters.telemetry.WatchTracker` through event handlers that make
  no API call; the probe lists each kind once (kopf caches probe results for 10s). An idle cluster is
  healthy: everything listed was delivered by the initial listing.
- ``kube``: the operator has its API client (start-up finished), for readiness.
"""

from __future__ import annotations

import os
import time
from typing import Any

import kopf

from modelyard.adapters.kube import INFERENCESERVICES, MODELVERSIONS, TRAININGJOBS, Ref
from modelyard.adapters.telemetry import WatchTracker, forget_service, install_object_log_context

WATCHED: tuple[Ref, ...] = (TRAININGJOBS, MODELVERSIONS, INFERENCESERVICES)
TRACKER = WatchTracker()


def stuck_after(memo: kopf.Memo) -> float:
    """Seconds an undelivered object version is tolerated (env, else inactivity timeout + 60s)."""
    settings = getattr(memo, "settings", None)
    default = (settings.watch_inactivity_timeout if settings is not None else 360) + 60
    return float(os.environ.get("MODELYARD_WATCH_STUCK_SECONDS", default))


@kopf.on.startup()
async def log_context(**_: Any) -> None:
    install_object_log_context()


def _track(ref: Ref) -> None:
    @kopf.on.event(ref.group, ref.version, ref.plural, id=f"watch-{ref.plural}")
    async def saw(body: kopf.Body, type: str | None, **_: Any) -> None:
        meta = body.get("metadata") or {}
        TRACKER.saw(ref.plural, meta.get("uid", ""), meta.get("resourceVersion", ""), deleted=type == "DELETED")
        if type == "DELETED" and ref is INFERENCESERVICES:  # its per-object gauges go with it
            forget_service(meta.get("namespace", ""), meta.get("name", ""))


for _ref in WATCHED:
    _track(_ref)


@kopf.on.probe(id="watches", errors=kopf.ErrorsMode.PERMANENT)
async def watches(memo: kopf.Memo, **_: Any) -> dict[str, int]:
    now, grace, stuck, counts = time.monotonic(), stuck_after(memo), [], {}
    namespaces = _namespaces(memo)
    for ref in WATCHED:
        listed = [item for ns in namespaces for item in await memo.kube.list(ref, ns)]
        counts[ref.plural] = len(listed)
        pairs = [(i["metadata"]["uid"], i["metadata"]["resourceVersion"]) for i in listed]
        stuck += TRACKER.assess(ref.plural, pairs, now, grace)
    if stuck:
        raise kopf.PermanentError(f"watches stuck: {'; '.join(stuck[:5])}")
    return counts


@kopf.on.probe(id="kube")
async def kube(memo: kopf.Memo, **_: Any) -> bool:
    return getattr(memo, "kube", None) is not None


def _namespaces(memo: kopf.Memo) -> list[str | None]:
    """Where to list: every plain namespace watched (globs are skipped), else cluster-wide."""
    settings = getattr(memo, "settings", None)
    names = [n for n in (settings.namespaces if settings is not None else []) if not set(n) & set("*?[!")]
    return list(names) or [None]
