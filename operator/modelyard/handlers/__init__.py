"""kopf decorators only; each handler a few lines that hand over to ``modelyard.controller``."""

from modelyard.handlers import indexes, inferenceservice, modelversion, probes, startup, trainingjob

__all__ = ["indexes", "inferenceservice", "modelversion", "probes", "startup", "trainingjob"]
