"""The sandbox cluster: an in-process Kubernetes API emulator and its helpers.

Layers: ``store`` (pure in-memory state, events, GC) knows nothing of HTTP; ``apiserver`` serves it over
aiohttp the way kube-apiserver does, close enough for kubectl, the kubernetes client and kopf.
"""

from modelyard.sandbox.errors import ApiError
from modelyard.sandbox.faults import FaultRule, Faults, RequestLog
from modelyard.sandbox.server import SandboxAPI, write_kubeconfig
from modelyard.sandbox.store import Store

__all__ = ["ApiError", "FaultRule", "Faults", "RequestLog", "SandboxAPI", "Store", "write_kubeconfig"]
