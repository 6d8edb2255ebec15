"""The demo's story as data (pure): the examples it applies, adapted, and the knobs that make it short or slow.

The manifests are ``examples/trainingjob-iris-sandbox.yaml`` and ``examples/inferenceservice-iris-sandbox.yaml``
(read by the demo): the trainer runs from this checkout and writes ``file://`` artifacts under the sandbox's
artifact directory, which the model server reads back. The narration lines are built here too.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JsonDict = dict[str, Any]
TRAINER = "examples/trainers/sklearn_trainer.py"
TRAINING_EXAMPLE = "examples/trainingjob-iris-sandbox.yaml"
SERVICE_EXAMPLE = "examples/inferenceservice-iris-sandbox.yaml"
MODEL = "iris"
SERVICE = "iris"
#: one iris flower, the v2 inference request body the load generator sends
INFER_BODY = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [5.1, 3.5, 1.4, 0.2]}]}
KINDS = ("TrainingJob", "ModelVersion", "InferenceService")


@dataclass(frozen=True)
class Pace:
    """How long the story's waits and analysis steps are (the integration test runs a faster one)."""

    analysis_interval: str = "5s"
    pause: str = "10s"
    min_requests: int = 10
    step_timeout: float = 180.0
    load_rps: float = 20.0


FAST = Pace(analysis_interval="2s", pause="4s", min_requests=5, step_timeout=60.0, load_rps=30.0)


def version_name(version: str) -> str:
    return f"{MODEL}-{version}"


def trainingjob(base: JsonDict, version: str, artifacts: Path, *, bad: bool = False,
                namespace: str = "default") -> JsonDict:
    """The example TrainingJob for ``version``, writing its artifact under ``artifacts``.

    >>> base = {"metadata": {"name": "iris-v1"}, "spec": {"version": "v1", "hyperparameters": {"c": "1.0"}}}
    >>> tj = trainingjob(base, "v2", Path("/x/artifacts"), bad=True)
    >>> tj["metadata"]["name"], tj["spec"]["output"]["uri"], tj["spec"]["hyperparameters"]
    ('iris-v2', 'file:///x/artifacts/iris/v2', {'c': '1.0', 'bad': 'true', 'bad_error_rate': '0.5'})
    >>> base["spec"]["version"]
    'v1'
    """
    tj = copy.deepcopy(base)
    tj["metadata"] = {"name": version_name(version), "namespace": namespace}
    spec = tj["spec"]
    spec.update(model=MODEL, version=version, output={"uri": (artifacts / MODEL / version).as_uri()})
    if bad:
        spec.setdefault("hyperparameters", {}).update(bad="true", bad_error_rate="0.5")
    return tj


def inferenceservice(base: JsonDict, pace: Pace, namespace: str = "default") -> JsonDict:
    """The example InferenceService with the pace's analysis interval, pauses and minimum requests.

    >>> base = {"metadata": {"name": "iris"}, "spec": {"rollout": {"steps": [{"setWeight": 20}, {"pause": {}}]},
    ...         "analysis": {"interval": "5s", "metrics": [{"name": "e", "minRequests": 10}]}}}
    >>> spec = inferenceservice(base, FAST)["spec"]
    >>> spec["rollout"]["steps"]
    [{'setWeight': 20}, {'pause': {'duration': '4s'}}]
    >>> spec["analysis"]
    {'interval': '2s', 'metrics': [{'name': 'e', 'minRequests': 5}]}
    """
    isvc = copy.deepcopy(base)
    isvc["metadata"] = {"name": SERVICE, "namespace": namespace}
    spec = isvc["spec"]
    for step in spec["rollout"]["steps"]:
        if "pause" in step:
            step["pause"] = {"duration": pace.pause}
    spec["analysis"]["interval"] = pace.analysis_interval
    for metric in spec["analysis"]["metrics"]:
        metric["minRequests"] = pace.min_requests
    return isvc


def condition(obj: JsonDict, type_: str) -> JsonDict:
    """The object's condition of that type, or {}.

    >>> condition({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}, "Ready")["status"]
    'True'
    """
    for c in obj.get("status", {}).get("conditions") or []:
        if c.get("type") == type_:
            return dict(c)
    return {}


def served(obj: JsonDict, slot: str) -> str | None:
    """The ModelVersion name in ``status.stable`` or ``status.canary``."""
    value = (obj.get("status", {}).get(slot) or {}).get("modelVersion")
    return str(value) if value else None


def event_line(event: JsonDict) -> str | None:
    """One compact narration line for an Event on one of our kinds (None for other objects).

    >>> event_line({"involvedObject": {"kind": "InferenceService", "name": "iris"}, "type": "Normal",
    ...             "reason": "WeightChanged", "message": "canary weight 0% -> 20%"})
    'InferenceService/iris WeightChanged: canary weight 0% -> 20%'
    >>> event_line({"involvedObject": {"kind": "Pod", "name": "x"}, "reason": "Pulled"}) is None
    True
    """
    obj = event.get("involvedObject") or {}
    if obj.get("kind") not in KINDS:
        return None
    mark = "! " if event.get("type") == "Warning" else ""
    return f"{mark}{obj['kind']}/{obj.get('name')} {event.get('reason')}: {event.get('message', '')}"


def measurement_lines(isvc: JsonDict) -> list[tuple[str, str]]:
    """(key, line) for each metric's last measurement in the service's running analysis.

    >>> isvc = {"status": {"canary": {"modelVersion": "iris-v2"}, "analysis": {"metrics": [{"name": "error-rate",
    ...         "last": {"metric": "error-rate", "verdict": "Failed", "value": 0.47, "requests": 17.0,
    ...                  "time": "2025-01-01T00:00:05Z"}}]}}}
    >>> measurement_lines(isvc)
    [('error-rate@2025-01-01T00:00:05Z', 'analysis of iris-v2: error-rate 0.470 over 17 requests -> Failed')]
    """
    status = isvc.get("status") or {}
    history = status.get("history") or [{}]
    canary = served(isvc, "canary") or history[0].get("modelVersion") or "the canary"
    lines = []
    for metric in (status.get("analysis") or {}).get("metrics") or []:
        last = metric.get("last")
        if not last:
            continue
        value = "no value" if last.get("value") is None else f"{last['value']:.3f}"
        over = f" over {last['requests']:.0f} requests" if last.get("requests") is not None else ""
        lines.append((f"{metric['name']}@{last.get('time')}",
                      f"analysis of {canary}: {metric['name']} {value}{over} -> {last.get('verdict')}"))
    return lines
