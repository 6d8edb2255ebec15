"""Against the kind cluster of `make e2e` (scripts/e2e-kind.sh), after the chart and the example models
are installed: the operator runs restricted with its narrow RBAC, and Flux's kstatus and Argo CD's health
checks call the example models done. Skipped with a reason when no cluster is reachable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from modelyard.kstatus import compute

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
CONTEXT = os.environ.get("MODELYARD_E2E_CONTEXT", "")
NAMESPACE, DEMO = "modelyard-system", "modelyard-demo"
SA = f"system:serviceaccount:{NAMESPACE}:modelyard"


def kubectl_binary() -> str | None:
    local = ROOT / ".tools" / "bin" / "kubectl"
    return shutil.which("kubectl") or (str(local) if local.exists() else None)


def _reachable() -> str | None:
    """Why the e2e tests cannot run here, or None when they can."""
    if not CONTEXT:
        return "MODELYARD_E2E_CONTEXT is not set (run `make e2e`, which creates a kind cluster)"
    if kubectl_binary() is None:
        return "kubectl not found"
    probe = subprocess.run([kubectl_binary() or "kubectl", "--context", CONTEXT, "version", "--request-timeout=5s"],
                           capture_output=True, text=True, check=False)
    return None if probe.returncode == 0 else f"cluster {CONTEXT} not reachable: {probe.stderr.strip()[:200]}"


REASON = _reachable()
if REASON:
    pytestmark = [pytest.mark.e2e, pytest.mark.skip(reason=REASON)]


def kubectl(*args: str) -> str:
    out = subprocess.run([kubectl_binary() or "kubectl", "--context", CONTEXT, *args],
                         capture_output=True, text=True, timeout=60, check=True)
    return out.stdout


def get(*args: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(kubectl("get", "-o", "json", *args))
    return result


@pytest.mark.parametrize("kind", ["trainingjobs", "modelversions", "inferenceservices"])
def test_example_models_are_current_for_kstatus(kind: str) -> None:
    items = get(kind, "-n", DEMO)["items"]
    assert items
    assert [(i["metadata"]["name"], compute(i)[0]) for i in items] == [(i["metadata"]["name"], "Current")
                                                                      for i in items]


@pytest.mark.parametrize(
    ("verb", "resource", "allowed"),
    [("patch", "inferenceservices.modelyard.io/status", True), ("create", "deployments.apps", True),
     ("create", "events", True), ("get", "secrets", False), ("create", "pods", False),
     ("delete", "inferenceservices.modelyard.io", False), ("create", "clusterroles.rbac.authorization.k8s.io", False)],
    ids=["patch-status", "create-deployment", "create-event", "no-secrets", "no-pods", "no-delete-isvc", "no-rbac"],
)
def test_operator_rbac(verb: str, resource: str, allowed: bool) -> None:
    answer = subprocess.run([kubectl_binary() or "kubectl", "--context", CONTEXT, "auth", "can-i", verb, resource,
                             "-n", DEMO, "--as", SA], capture_output=True, text=True, check=False).stdout.strip()
    assert answer == ("yes" if allowed else "no")


def test_operator_pod_is_restricted_and_running() -> None:
    (pod,) = get("pods", "-n", NAMESPACE, "-l", "app.kubernetes.io/component=operator")["items"]
    assert pod["status"]["phase"] == "Running"
    sc = pod["spec"]["containers"][0]["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["capabilities"]["drop"] == ["ALL"]
