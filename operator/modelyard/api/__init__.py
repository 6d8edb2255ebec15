"""The Modelyard API: pydantic models, the only place the API is written down.

Everything else (CRDs, chart CRDs, docs/api.md) is generated from these models by ``modelyard.codegen``.
This package does no I/O and imports neither kopf nor a Kubernetes client.
"""

from modelyard.api.common import API_VERSION, GROUP, VERSION
from modelyard.api.inferenceservice import InferenceService
from modelyard.api.modelversion import ModelVersion
from modelyard.api.trainingjob import TrainingJob

KINDS = (TrainingJob, ModelVersion, InferenceService)

__all__ = ["API_VERSION", "GROUP", "KINDS", "VERSION", "InferenceService", "ModelVersion", "TrainingJob"]
