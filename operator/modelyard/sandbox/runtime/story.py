"""The demo's story as data (pure): the manifests it applies and the knobs that make it short or slow.

The manifests are the examples' shapes (examples/gitops/workloads/) adapted to the sandbox: the trainer
runs from this checkout (``examples/trainers/sklearn_trainer.py``) and writes ``file://`` artifacts under
the sandbox's artifact directory, which the model server reads back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

JsonDict = dict[str, Any]
TRAINER = "examples/trainers/sklearn_trainer.py"
MODEL = "iris"
SERVICE = "iris"
#: one iris flower, the v2 inference request body the load generator sends
INFER_BODY = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [5.1, 3.5, 1.4, 0.2]}]}


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


def trainingjob(version: str, artifacts: Path, *, bad: bool = False, namespace: str = "default") -> JsonDict:
    """A TrainingJob that fits the scikit-learn example for real and writes its artifact under ``artifacts``.

    >>> tj = trainingjob("v2", Path("/x/artifacts"), bad=True)
    >>> tj["spec"]["output"]["uri"], tj["spec"]["hyperparameters"]["bad"]
    ('file:///x/artifacts/iris/v2', 'true')
    """
    hp: JsonDict = {"dataset": "iris", "model": "logistic", "c": "1.0", "max_iter": "1000"}
    if bad:
        hp.update(bad="true", bad_error_rate="0.5")
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "TrainingJob",
            "metadata": {"name": version_name(version), "namespace": namespace},
            "spec": {"model": MODEL, "version": version, "image": "ghcr.io/modelyard/trainers:0.1.0",
                     "command": ["python", TRAINER], "hyperparameters": hp,
                     "output": {"uri": (artifacts / MODEL / version).as_uri()},
                     "backoffLimit": 0, "activeDeadlineSeconds": 300}}


def inferenceservice(pace: Pace, namespace: str = "default") -> JsonDict:
    """Serve the newest iris version passing the accuracy gate; canaries judged on the builtin error rate."""
    return {"apiVersion": "modelyard.io/v1alpha1", "kind": "InferenceService",
            "metadata": {"name": SERVICE, "namespace": namespace},
            "spec": {"model": {"track": {"model": MODEL}, "gates": [{"metric": "accuracy", "threshold": {"min": 0.8}}]},
                     "predictor": {"replicas": 1},
                     "rollout": {"steps": [{"setWeight": 20}, {"pause": {"duration": pace.pause}},
                                           {"setWeight": 50}, {"pause": {"duration": pace.pause}}],
                                 "scaleDownDelay": "1s"},
                     "analysis": {"interval": pace.analysis_interval, "metrics": [{
                         "name": "error-rate", "provider": {"builtin": {"metric": "errorRate"}},
                         "threshold": {"max": 0.05}, "minRequests": pace.min_requests}]}}}


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
