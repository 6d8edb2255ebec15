"""Pod Security Standard "restricted", read-only root filesystem and /tmp for every pod the chart runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.unit.helm.chart import VALUES, VALUES_IDS, pod_specs, render


def restricted_problems(name: str, pod: dict[str, Any]) -> list[str]:
    """What keeps a pod spec from the "restricted" profile (plus our read-only root + /tmp rule)."""
    problems = []
    psc = pod.get("securityContext", {})
    for c in pod["containers"] + pod.get("initContainers", []):
        sc = c.get("securityContext", {})
        where = f"{name}/{c['name']}"
        if not (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
            problems.append(f"{where}: runAsNonRoot")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation")
        if sc.get("capabilities", {}).get("drop") != ["ALL"] or sc.get("capabilities", {}).get("add"):
            problems.append(f"{where}: capabilities")
        seccomp = sc.get("seccompProfile") or psc.get("seccompProfile") or {}
        if seccomp.get("type") not in {"RuntimeDefault", "Localhost"}:
            problems.append(f"{where}: seccompProfile")
        if sc.get("readOnlyRootFilesystem") is not True or sc.get("privileged"):
            problems.append(f"{where}: readOnlyRootFilesystem")
        if not any(m["mountPath"] == "/tmp" for m in c.get("volumeMounts", [])):
            problems.append(f"{where}: no /tmp mount")
    tmp = [v for v in pod.get("volumes", []) if v["name"] == "tmp"]
    if not tmp or "emptyDir" not in tmp[0]:
        problems.append(f"{name}: /tmp is not an emptyDir")
    if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
        problems.append(f"{name}: host namespaces")
    return problems


@pytest.mark.parametrize("values", VALUES, ids=VALUES_IDS)
def test_every_pod_is_restricted(values: Path | None) -> None:
    pods = list(pod_specs(render(values)))
    assert pods, "the chart runs no pod"
    assert [p for name, pod in pods for p in restricted_problems(name, pod)] == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda sc: sc.pop("allowPrivilegeEscalation"), "allowPrivilegeEscalation"),
        (lambda sc: sc.update(capabilities={"drop": ["NET_RAW"]}), "capabilities"),
        (lambda sc: sc.update(readOnlyRootFilesystem=False), "readOnlyRootFilesystem"),
        (lambda sc: sc.pop("seccompProfile"), "seccompProfile"),
    ],
    ids=["escalation", "capabilities", "writable-root", "no-seccomp"],
)
def test_the_check_catches_a_weakened_pod(change: Any, problem: str) -> None:
    pod = {"containers": [{"name": "c", "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}], "securityContext": {
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True,
        "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}}],
        "volumes": [{"name": "tmp", "emptyDir": {}}]}
    assert restricted_problems("p", pod) == []
    change(pod["containers"][0]["securityContext"])
    assert restricted_problems("p", pod) == [f"p/c: {problem}"]
