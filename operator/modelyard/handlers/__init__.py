"""kopf decorators only; each handler a few lines that hand over to ``modelyard.controller``."""

from modelyard.config import Settings
from modelyard.handlers import indexes, inferenceservice, modelversion, probes, startup, trainingjob

SETTINGS = Settings()

__all__ = ["SETTINGS", "indexes", "inferenceservice", "modelversion", "probes", "startup", "trainingjob"]
