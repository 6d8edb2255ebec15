"""The objects the benchmarks create: small, valid, and the same for both operators."""

from __future__ import annotations

from typing import Any

from modelyard.adapters.kube import INFERENCESERVICES, MODELVERSIONS, TRAININGJOBS, Ref

API_VERSION = "modelyard.io/v1alpha1"
DIGEST = "sha256:" + "0123456789abcdef" * 4
TRAINER_IMAGE = "ghcr.io/modelyard/trainers:0.1.0"
KINDS: dict[str, Ref] = {"inferenceservices": INFERENCESERVICES, "trainingjobs": TRAININGJOBS,
                         "modelversions": MODELVERSIONS}
#: The condition that says an object of this kind is done.
DONE_CONDITION = {"inferenceservices": "Ready", "trainingjobs": "Succeeded", "modelversions": "Ready"}


def _meta(name: str) -> dict[str, Any]:
    return {"name": name, "labels": {"app.kubernetes.io/part-of": "modelyard-bench"}}


def modelversion(name: str, model: str, version: str) -> dict[str, Any]:
    """A registered version of ``model`` (valid as soon as it exists)."""
    return {"apiVersion": API_VERSION, "kind": "ModelVersion", "metadata": _meta(name),
            "spec": {"model": model, "version": version,
                     "artifact": {"uri": f"s3://bench/{model}/{version}/model.joblib", "digest": DIGEST,
                                  "format": "sklearn"},
                     "metrics": {"accuracy": 0.97}}}


def inferenceservice(name: str, model_version: str, **spec: Any) -> dict[str, Any]:
    """A service pinned to one ModelVersion, with the default canary strategy."""
    return {"apiVersion": API_VERSION, "kind": "InferenceService", "metadata": _meta(name),
            "spec": {"model": {"modelVersion": model_version}, **spec}}


def trainingjob(name: str, model: str, version: str, *, register: bool = True) -> dict[str, Any]:
    """A one-pod training run whose (simulated) trainer reports an artifact and metrics."""
    return {"apiVersion": API_VERSION, "kind": "TrainingJob", "metadata": _meta(name),
            "spec": {"model": model, "version": version, "image": TRAINER_IMAGE,
                     "hyperparameters": {"c": 1.0}, "output": {"uri": f"s3://bench/{model}"},
                     "registerModel": register}}


def batch(kind: str, count: int, prefix: str = "b", *, register: bool = True) -> list[dict[str, Any]]:
    """``count`` objects of one kind named ``{prefix}-{i}``; InferenceService ``i`` serves ModelVersion ``i``."""
    make = {
        "modelversions": lambda n: modelversion(n, n, "v1"),
        "inferenceservices": lambda n: inferenceservice(n, n),
        "trainingjobs": lambda n: trainingjob(n, n, "v1", register=register),
    }[kind]
    return [make(f"{prefix}-{i}") for i in range(count)]


def mixed(count: int, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """``count`` objects split evenly over the three kinds (TrainingJobs do not register a version)."""
    third, rest = divmod(count, 3)
    sizes = {"modelversions": third + (rest > 0), "inferenceservices": third + (rest > 1), "trainingjobs": third}
    return {kind: batch(kind, n, prefix, register=False) for kind, n in sizes.items()}
