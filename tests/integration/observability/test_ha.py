"""HA: two operator processes with kopf peering; the standby takes over within the peering lifetime
when the active one is killed (SIGKILL, no goodbye), and nothing is done twice."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from modelyard.adapters.kube import EVENTS, MODELVERSIONS, Ref
from tests.integration.conftest import SandboxHandle
from tests.integration.observability.helpers import NAMESPACE, OperatorProcess, example, get, reconciled

PEERINGS = Ref("kopf.dev", "v1", "clusterkopfpeerings", namespaced=False)
LIFETIME = 3  # seconds (settings.peering.lifetime); the chart's default is 60
SLACK = 3.0  # re-listing and one reconcile after the standby resumes


async def _reconciled(sandbox: SandboxHandle, name: str) -> bool:
    return reconciled(await get(sandbox.kube, "ModelVersion", name))


def _handled(proc: OperatorProcess, name: str) -> bool:
    return any((ln.get("object") or {}).get("name") == name and "succeeded" in str(ln.get("message"))
               for ln in proc.json_lines())


async def _event_reasons(sandbox: SandboxHandle, name: str) -> Counter[str]:
    events = await sandbox.kube.list(EVENTS, NAMESPACE)
    return Counter(e["reason"] for e in events if e["involvedObject"].get("name") == name
                   and e.get("reportingComponent") == "modelyard")


async def test_standby_takes_over_within_the_peering_lifetime_without_double_action(
        sandbox_cluster: SandboxHandle, tmp_path: Path) -> None:
    sb = sandbox_cluster
    await sb.kube.create(PEERINGS, None, {"apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering",
                                          "metadata": {"name": "modelyard"}})
    # DEBUG keeps kopf's per-handler "succeeded" lines (dropped at INFO), which tell who handled what.
    env = {"MODELYARD_PEERING_LIFETIME": str(LIFETIME), "MODELYARD_LOG_LEVEL": "DEBUG"}
    active = OperatorProcess(sb.kubeconfig, tmp_path / "active.log", peering="modelyard", priority=100, env=env)
    standby = OperatorProcess(sb.kubeconfig, tmp_path / "standby.log", peering="modelyard", priority=50, env=env)
    try:
        await active.wait_serving()
        await standby.wait_serving()
        await sb.kube.create(MODELVERSIONS, NAMESPACE, example("ModelVersion", "ha-before"))
        await sb.wait_for(lambda: _reconciled(sb, "ha-before"), timeout=15, message="reconciled by the active")
        assert _handled(active, "ha-before") and not _handled(standby, "ha-before")
        events_before = await _event_reasons(sb, "ha-before")

        mark = sb.requests.mark()
        active.kill()
        killed_at = time.monotonic()
        await sb.kube.create(MODELVERSIONS, NAMESPACE, example("ModelVersion", "ha-after"))
        await sb.wait_for(lambda: _reconciled(sb, "ha-after"), timeout=LIFETIME + 20, message="standby took over")
        took = time.monotonic() - killed_at
        print(f"\nHA summary: handover in {took:.1f}s (peering lifetime {LIFETIME}s)")
        assert took <= LIFETIME + SLACK, f"handover took {took:.1f}s"
        assert _handled(standby, "ha-after")

        # Nothing done twice: the standby resumed the settled object without writing to it or re-posting events.
        await sb.wait_for(lambda: _handled(standby, "ha-before"), timeout=5, message="standby resumed ha-before")
        writes = sb.requests.select(since=mark, writes_only=True, plural="modelversions", name="ha-before")
        assert writes == [], [(w.verb, w.subresource) for w in writes]
        assert await _event_reasons(sb, "ha-before") == events_before
        assert max((await _event_reasons(sb, "ha-after")).values()) == 1
    finally:
        active.stop()
        standby.stop()
