"""A user's kubectl v1.34 against `modelyard sandbox up` with Modelyard's own CRDs and the operator:
apply an example, list it with its printer columns, wait for a condition, delete it; bad objects refused
naming the field."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _kubectl() -> Path:
    binary = ROOT / ".tools" / "bin" / "kubectl"
    if not binary.exists():
        result = subprocess.run([sys.executable, str(ROOT / "scripts" / "install-kube-tools.py")],
                                capture_output=True, text=True)
        if result.returncode != 0 or not binary.exists():
            pytest.skip(f"kubectl is not installed and could not be installed: {result.stderr[-300:]}")
    return binary


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """`modelyard sandbox up` in a subprocess, as a user starts it; a kubectl command bound to it."""
    binary = _kubectl()
    tmp = tmp_path_factory.mktemp("sandbox-up")
    kubeconfig = tmp / "kubeconfig"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "operator"), "MODELYARD_RESYNC_SECONDS": "0.5"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard", "sandbox", "up", "--kubeconfig", str(kubeconfig),
         "--crds", str(ROOT / "crds")],
        cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        banner = [proc.stdout.readline() for _ in range(3)]  # the sandbox prints its URL once it serves
        assert any("http://127.0.0.1:" in line for line in banner), banner
        yield [str(binary), "--kubeconfig", str(kubeconfig), "--request-timeout=20s"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def run(cmd: list[str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60)
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def test_apply_list_wait_delete_an_example(kubectl: list[str]) -> None:
    example = ROOT / "examples" / "modelversion-hand-registered.yaml"
    assert "created" in run(kubectl, "apply", "-f", str(example)).stdout
    header = run(kubectl, "get", "mv").stdout.splitlines()[0].split()
    assert header == ["NAME", "MODEL", "VERSION", "PHASE", "METRIC", "SERVED-BY", "AGE"]
    waited = run(kubectl, "wait", "--for=condition=Ready", "modelversion/iris-v1", "--timeout=30s")
    assert "condition met" in waited.stdout
    row = run(kubectl, "get", "modelyard").stdout  # the category finds our kinds
    assert "iris-v1" in row and "Ready" in row
    assert "deleted" in run(kubectl, "delete", "-f", str(example), "--wait=true", "--timeout=30s").stdout
    gone = run(kubectl, "get", "mv", "iris-v1", ok=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr


BAD = {
    "wrong-type": ("spec:\n  model: iris\n  image: t:1\n  workers: three\n", "spec.workers"),
    "unknown-field": ("spec:\n  model: iris\n  image: t:1\n  unknownField: 1\n", 'unknown field "spec.unknownField"'),
    "missing-required": ("spec:\n  model: iris\n", "spec.image"),
    "below-minimum": ("spec:\n  model: iris\n  image: t:1\n  workers: 0\n", "spec.workers"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_invalid_trainingjob_is_refused_naming_the_field(kubectl: list[str], tmp_path: Path, case: str) -> None:
    spec, field = BAD[case]
    manifest = tmp_path / f"{case}.yaml"
    manifest.write_text(f"apiVersion: modelyard.io/v1alpha1\nkind: TrainingJob\nmetadata:\n  name: {case}\n{spec}")
    result = run(kubectl, "apply", "-f", str(manifest), ok=False)
    assert result.returncode != 0
    assert field in result.stderr, result.stderr


def test_unknown_enum_value_is_refused(kubectl: list[str], tmp_path: Path) -> None:
    manifest = tmp_path / "isvc.yaml"
    manifest.write_text("apiVersion: modelyard.io/v1alpha1\nkind: InferenceService\nmetadata:\n  name: web\n"
                        "spec:\n  model:\n    modelVersion: iris-v1\n  traffic:\n    router: istio\n")
    result = run(kubectl, "apply", "-f", str(manifest), ok=False)
    assert result.returncode != 0
    assert "spec.traffic.router" in result.stderr and "Unsupported value" in result.stderr, result.stderr


def test_a_users_trainingjob_trains_for_real_and_kubectl_logs_shows_the_trainer(
        kubectl: list[str], tmp_path: Path) -> None:
    """The example trainer runs as a local process: a real scikit-learn fit, real metrics, real logs."""
    doc = (ROOT / "examples" / "trainingjob-iris-sandbox.yaml").read_text()
    doc = doc.replace("file:///tmp/modelyard/artifacts/iris/local", (tmp_path / "artifacts").as_uri())
    manifest = tmp_path / "tj.yaml"
    manifest.write_text(doc)
    run(kubectl, "apply", "-f", str(manifest))
    run(kubectl, "wait", "--for=jsonpath={.status.phase}=Succeeded", "trainingjob/iris-local", "--timeout=90s")
    metric = run(kubectl, "get", "mv", "iris-local", "-o", "jsonpath={.spec.metrics.accuracy}").stdout
    assert 0.8 < float(metric) <= 1.0
    assert list((tmp_path / "artifacts").glob("*")), "the artifact was written where output.uri says"
    logs = run(kubectl, "logs", "-l", "modelyard.io/trainingjob=iris-local").stdout
    assert logs.strip(), "kubectl logs shows the trainer's output"
