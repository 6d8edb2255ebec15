"""Render the chart with the real helm binary (PATH or .tools/bin); tests skip with a reason without it."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "charts" / "modelyard"
VALUES_FILES = sorted((CHART / "ci").glob("*.yaml"))
#: The default values (None) and every values file under ci/, with test ids.
VALUES = [None, *VALUES_FILES]
VALUES_IDS = ["default", *(p.stem for p in VALUES_FILES)]
KUBE_VERSION = "1.34.0"
NAMESPACE = "modelyard-system"


def helm_binary() -> str | None:
    """helm from PATH, else from .tools/bin (`python scripts/install-kube-tools.py`)."""
    local = ROOT / ".tools" / "bin" / "helm"
    return shutil.which("helm") or (str(local) if os.access(local, os.X_OK) else None)


def need_helm() -> str:
    helm = helm_binary()
    if helm is None:
        pytest.skip("helm not found on PATH or in .tools/bin; run `python scripts/install-kube-tools.py`")
    return helm


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([need_helm(), *args], capture_output=True, text=True, timeout=60, check=False)


@functools.cache
def _render(values: Path | None, sets: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
    args = ["template", "modelyard", str(CHART), "--namespace", NAMESPACE, "--include-crds",
            "--kube-version", KUBE_VERSION]
    args += ["--values", str(values)] if values else []
    for s in sets:
        args += ["--set", s]
    result = helm(*args)
    assert result.returncode == 0, result.stderr
    return tuple(d for d in yaml.safe_load_all(result.stdout) if d)


def render(values: Path | None = None, *sets: str) -> list[dict[str, Any]]:
    """The rendered manifests (hooks and the chart's crds/ included), parsed."""
    return [dict(d) for d in _render(values, sets)]


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def pod_specs(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, pod spec) of every pod the chart runs: workloads' templates and hook pods."""
    for d in docs:
        if d["kind"] in {"Deployment", "StatefulSet", "Job", "DaemonSet"}:
            yield f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"]
        elif d["kind"] == "Pod":
            yield f"Pod/{d['metadata']['name']}", d["spec"]
