"""InferenceService handlers: one rollout loop per object (a kopf daemon) and the watch events that wake it.

The loop (``controller.rollout_loop``) is the only writer of the status; it runs a pass at once, then when
its decision is next due (an analysis interval, a pause, a deadline), when an event below wakes it, and
while unsettled at least every ``MODELYARD_RESYNC_SECONDS``.
"""

from __future__ import annotations

import os
from typing import Any

import kopf

from modelyard.adapters.telemetry import instrumented
from modelyard.controller.inferenceservice import Deps, default_providers
from modelyard.controller.rollout_loop import Timing, reconcile_fresh, run_loop
from modelyard.controller.wakeups import model_topic, service_source, service_topic, version_topic
from modelyard.core.rollout_timing import (
    calculate_deployment_signal,
    calculate_modelversion_signal,
    calculate_service_signal,
)
from modelyard.render.meta import LABEL_INFERENCESERVICE
from modelyard.render.serving import short_name

RESOURCE = ("modelyard.io", "v1alpha1", "inferenceservices")
MODELVERSIONS = ("modelyard.io", "v1alpha1", "modelversions")
INDEX = "modelversions_by_model"  # the kopf indexes of handlers/indexes.py, passed by name
BY_NAME = "modelversions_by_name"
TIMING = Timing(poll=float(os.environ.get("MODELYARD_RESYNC_SECONDS", "5")),
                drift=float(os.environ.get("MODELYARD_DRIFT_SECONDS", "300")))


@kopf.daemon(*RESOURCE, cancellation_timeout=5)
async def rollout(memo: Any, stopped: kopf.DaemonStopped, namespace: str | None, name: str,
                  uid: str, **kw: Any) -> None:
    ns = namespace or ""
    deps = Deps(kube=memo.kube, image=memo.settings.serving_image, providers=default_providers(),
                index=kw[INDEX], by_name=kw[BY_NAME])

    @instrumented("inferenceservice")
    async def one_pass(body: Any) -> Any:
        return await reconcile_fresh(deps, ns, name, uid)

    await run_loop(deps, ns, name, uid, wakeups=memo.wakeups, stopped=stopped, timing=TIMING,
                   one_pass=lambda: one_pass(body=kw["body"]))


@kopf.on.event(*RESOURCE)
async def service_changed(body: kopf.Body, type: str | None, memo: Any, namespace: str | None, name: str,
                    **_: Any) -> None:
    ns = namespace or ""  # a new generation or command wakes the loop; its own status writes do not
    memo.wakeups.poke_if_changed(service_source(ns, name), calculate_service_signal(body, type),
                                 (service_topic(ns, short_name(name)),), first=False)


@kopf.on.event("apps", "v1", "deployments", labels={LABEL_INFERENCESERVICE: kopf.PRESENT})
async def deployment_changed(body: kopf.Body, type: str | None, labels: kopf.Labels, memo: Any, namespace: str | None,
                       name: str, **_: Any) -> None:
    ns = namespace or ""
    memo.wakeups.poke_if_changed(f"deployment:{ns}/{name}", calculate_deployment_signal(body, type),
                                 (service_topic(ns, labels[LABEL_INFERENCESERVICE]),), first=False)


@kopf.on.event(*MODELVERSIONS)
async def modelversion_changed(body: kopf.Body, type: str | None, spec: kopf.Spec, memo: Any, namespace: str | None,
                         name: str, **_: Any) -> None:
    ns, model = namespace or "", spec.get("model")
    topics = [version_topic(ns, name), *([model_topic(ns, model)] if isinstance(model, str) else [])]
    memo.wakeups.poke_if_changed(f"modelversion:{ns}/{name}", calculate_modelversion_signal(body, type), topics,
                                 first=type is not None)  # a new version, not the start-up listing
