"""The real kubectl (v1.34) against a running sandbox: apply, get, describe, wait, delete, validation."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_helpers import eventually

from modelyard.sandbox import SandboxAPI

pytestmark = pytest.mark.kubectl
REPO = Path(__file__).resolve().parents[3]
KUBECTL = REPO / ".tools" / "bin" / "kubectl"

WIDGET = """apiVersion: example.modelyard.io/v1
kind: Widget
metadata:
  name: {name}
spec:
  image: nginx
  size: {size}
{extra}"""


def _kubectl_binary() -> Path:
    """.tools/bin/kubectl, installed on first use; skip the module when that is impossible."""
    if not KUBECTL.exists():
        script = REPO / "scripts" / "install-kube-tools.py"
        try:
            subprocess.run([sys.executable, str(script)], check=True, capture_output=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.skip(f"kubectl is not installed and could not be installed: {exc}")
    if not KUBECTL.exists():
        pytest.skip("kubectl is not installed (make tools)")
    return KUBECTL


@pytest.fixture
def kubectl_cmd(kubeconfig: Path, tmp_path: Path) -> list[str]:
    binary = _kubectl_binary()
    return [str(binary), "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "cache")]


async def run(
    cmd: list[str], *args: str, stdin: str | None = None, check: bool = True
) -> tuple[int, str, str]:
    """Run kubectl without blocking the event loop the sandbox serves on."""
    proc = await asyncio.create_subprocess_exec(
        *cmd, *args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else None), 60)
    code = proc.returncode if proc.returncode is not None else -1
    if check and code != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed ({code}): {err.decode()}")
    return code, out.decode(), err.decode()


async def test_kubeconfig_is_accepted(kubectl_cmd: list[str]) -> None:
    _, out, _ = await run(kubectl_cmd, "version")
    assert "Server Version: v1.34.0-modelyard-sandbox" in out


async def test_apply_get_describe_delete(kubectl_cmd: list[str], sandbox: SandboxAPI) -> None:
    _, out, _ = await run(kubectl_cmd, "apply", "-f", "-", stdin=WIDGET.format(name="w1", size=2, extra=""))
    assert "widget.example.modelyard.io/w1 created" in out
    _, out, _ = await run(kubectl_cmd, "apply", "-f", "-", stdin=WIDGET.format(name="w1", size=3, extra=""))
    assert "configured" in out
    _, table, _ = await run(kubectl_cmd, "get", "wdg")
    assert table.split("\n")[0].split() == ["NAME", "SIZE", "MODE", "PHASE", "READY", "AGE"]
    assert table.split("\n")[1].split()[:3] == ["w1", "3", "Online"]
    _, by_category, _ = await run(kubectl_cmd, "get", "exampleyard")
    assert "w1" in by_category
    _, wide, _ = await run(kubectl_cmd, "get", "widgets", "-o", "wide")
    assert "IMAGE" in wide and "nginx" in wide
    _, as_yaml, _ = await run(kubectl_cmd, "get", "widget", "w1", "-o", "yaml")
    assert "size: 3" in as_yaml and "generation: 2" in as_yaml and "last-applied-configuration" in as_yaml
    _, described, _ = await run(kubectl_cmd, "describe", "wdg", "w1")
    assert "Name:         w1" in described and "Size:" in described
    _, out, _ = await run(kubectl_cmd, "delete", "wdg", "w1")
    assert 'widget.example.modelyard.io "w1" deleted' in out
    code, _, err = await run(kubectl_cmd, "get", "wdg", "w1", check=False)
    assert code == 1 and "NotFound" in err


async def test_server_side_apply(kubectl_cmd: list[str], sandbox: SandboxAPI) -> None:
    for size in (2, 4):
        _, out, _ = await run(
            kubectl_cmd,
            "apply",
            "--server-side",
            "-f",
            "-",
            stdin=WIDGET.format(name="ssa", size=size, extra=""),
        )
        assert "serverside-applied" in out
    widgets = sandbox.store.registry.by_kind("example.modelyard.io", "Widget")
    assert widgets is not None
    obj = sandbox.store.get(widgets, "default", "ssa")
    assert obj["spec"]["size"] == 4
    assert [m["manager"] for m in obj["metadata"]["managedFields"]] == ["kubectl"]


async def test_wait_for_condition_flipped_through_status(kubectl_cmd: list[str], sandbox: SandboxAPI) -> None:
    await run(kubectl_cmd, "apply", "-f", "-", stdin=WIDGET.format(name="slow", size=1, extra=""))
    mark = sandbox.requests.mark()
    waiting = asyncio.create_task(
        run(kubectl_cmd, "wait", "--for=condition=Ready", "widget/slow", "--timeout=20s")
    )

    async def kubectl_is_watching() -> bool:
        return sandbox.requests.count(since=mark, verb="watch", plural="widgets") > 0

    await eventually(kubectl_is_watching)
    widgets = sandbox.store.registry.by_kind("example.modelyard.io", "Widget")
    assert widgets is not None
    condition = {
        "type": "Ready",
        "status": "True",
        "reason": "Done",
        "message": "ok",
        "lastTransitionTime": "2025-01-01T00:00:00Z",
    }
    sandbox.store.patch(
        widgets,
        "default",
        "slow",
        "application/merge-patch+json",
        {"status": {"phase": "Ready", "conditions": [condition]}},
        subresource="status",
    )
    _, out, _ = await waiting
    assert "widget.example.modelyard.io/slow condition met" in out


INVALID = [
    (
        "wrong type",
        "  size: big\n",
        'spec.size: Invalid value: "string": spec.size in body must be of type integer',
    ),
    ("enum", "  mode: Fast\n", 'spec.mode: Unsupported value: "Fast"'),
    ("minimum", "", "spec.size: Invalid value: -1: spec.size in body should be greater than or equal to 1"),
    ("unknown field, strict", "  colour: red\n", 'unknown field "spec.colour"'),
]


@pytest.mark.parametrize(("extra", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
async def test_invalid_objects_are_refused_naming_the_field(
    kubectl_cmd: list[str], extra: str, message: str
) -> None:
    size = -1 if "minimum" in message or "-1" in message else 1
    manifest = WIDGET.format(name="bad", size=size, extra="").replace("  size: 1\n", "") + extra
    code, _, err = await run(kubectl_cmd, "apply", "-f", "-", stdin=manifest, check=False)
    assert code == 1
    assert message in err


async def test_missing_required_field(kubectl_cmd: list[str]) -> None:
    manifest = WIDGET.format(name="bad", size=1, extra="").replace("  image: nginx\n", "")
    code, _, err = await run(kubectl_cmd, "create", "-f", "-", stdin=manifest, check=False)
    assert code == 1
    assert 'The Widget "bad" is invalid: spec.image: Required value' in err


async def test_builtins_apply_scale_and_namespaces(kubectl_cmd: list[str]) -> None:
    deployment = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: main, image: "nginx:1"}, {name: side, image: busybox}]
"""
    await run(kubectl_cmd, "apply", "-f", "-", stdin=deployment)
    await run(kubectl_cmd, "apply", "-f", "-", stdin=deployment.replace("nginx:1", "nginx:2"))
    await run(kubectl_cmd, "scale", "deployment/web", "--replicas=3")
    _, table, _ = await run(kubectl_cmd, "get", "deploy")
    assert table.split("\n")[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table.split("\n")[1].split()[:2] == ["web", "0/3"]
    _, images, _ = await run(
        kubectl_cmd, "get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[*].image}"
    )
    assert images == "nginx:2 busybox"
    await run(
        kubectl_cmd, "apply", "-f", "-", stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n"
    )
    await run(kubectl_cmd, "delete", "namespace", "team")
    code, _, _ = await run(kubectl_cmd, "get", "namespace", "team", check=False)
    assert code == 1
