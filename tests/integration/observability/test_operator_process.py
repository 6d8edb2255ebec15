"""The operator as it runs in a pod (``modelyard run``, JSON logs, /metrics, /healthz) against the sandbox."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from modelyard.adapters.kube import EVENTS
from tests.integration.conftest import SandboxHandle
from tests.integration.observability.helpers import KINDS, NAMESPACE, OperatorProcess, example, get, reconciled

# Every metric the issue lists, with its Prometheus type (names as the parser reports families).
EXPECTED = {
    "modelyard_reconcile": "counter", "modelyard_reconcile_errors": "counter",
    "modelyard_reconcile_time_seconds": "histogram", "modelyard_canary_weight": "gauge",
    "modelyard_rollout_status": "gauge", "modelyard_rollouts": "counter", "modelyard_rollbacks": "counter",
    "modelyard_training_jobs": "counter", "modelyard_training_duration_seconds": "histogram",
    "modelyard_modelversions_registered": "counter", "modelyard_analysis_measurements": "counter",
    "modelyard_api_client_errors": "counter", "modelyard_api_client_retries": "counter",
}
BOUNDED_LABELS = {"controller", "result", "outcome", "reason", "verdict", "code", "le", "namespace", "name"}


@pytest.fixture
async def operator(sandbox_cluster: SandboxHandle, tmp_path: Path) -> AsyncIterator[OperatorProcess]:
    proc = OperatorProcess(sandbox_cluster.kubeconfig, tmp_path / "operator.log")
    try:
        await proc.wait_serving()
        yield proc
    finally:
        proc.stop()


async def _create_one_of_each(sandbox: SandboxHandle) -> None:
    for kind in KINDS:
        await sandbox.kube.create(KINDS[kind], NAMESPACE, example(kind, f"obs-{kind.lower()}"))
    for kind in KINDS:
        await sandbox.wait_for(lambda k=kind: _reconciled(sandbox, k), timeout=20, message=f"{kind} reconciled")


async def _reconciled(sandbox: SandboxHandle, kind: str) -> bool:
    return reconciled(await get(sandbox.kube, kind, f"obs-{kind.lower()}"))


async def test_metrics_are_exposed_and_named_by_prometheus_conventions(
        sandbox_cluster: SandboxHandle, operator: OperatorProcess) -> None:
    await _create_one_of_each(sandbox_cluster)
    status, text = await operator.fetch(operator.metrics)
    assert status == 200
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert {n: families[n].type for n in EXPECTED if n in families} == EXPECTED
    for family in families.values():
        assert re.fullmatch(r"modelyard_[a-z_]+", family.name), family.name
        assert family.documentation, family.name
        for sample in family.samples:
            assert set(sample.labels) <= BOUNDED_LABELS, sample
            if family.type == "counter":
                assert sample.name.endswith(("_total", "_created")), sample.name
            else:
                assert not sample.name.endswith("_total"), sample.name
        if family.type == "histogram":
            assert family.name.endswith("_seconds")
    controllers = {s.labels["controller"] for s in families["modelyard_reconcile"].samples if "controller" in s.labels}
    assert controllers >= {"trainingjob", "modelversion", "inferenceservice"}
    counts = [s for s in families["modelyard_reconcile_time_seconds"].samples if s.name.endswith("_count")]
    assert all(s.value >= 1 for s in counts) and counts


async def test_json_logs_name_the_object_on_every_line_about_it(
        sandbox_cluster: SandboxHandle, operator: OperatorProcess) -> None:
    await _create_one_of_each(sandbox_cluster)
    lines = list(operator.json_lines())
    assert lines, operator.log_text()[-2000:]
    about = [ln for ln in lines if "obs-" in str(ln.get("message", ""))]
    with_ref = [ln for ln in lines if isinstance(ln.get("object"), dict)]
    assert with_ref, "no per-object log line at all"
    for line in about + with_ref:
        ref = line.get("object")
        assert isinstance(ref, dict), line
        assert ref.get("name", "").startswith("obs-") and ref.get("namespace") == NAMESPACE, line
    assert all("severity" in ln and "timestamp" in ln for ln in lines)


async def test_decisions_reach_the_api_as_events(sandbox_cluster: SandboxHandle, operator: OperatorProcess) -> None:
    await _create_one_of_each(sandbox_cluster)

    async def modelversion_events() -> list[dict[str, object]]:
        events = await sandbox_cluster.kube.list(EVENTS, NAMESPACE)
        return [e for e in events if e["involvedObject"].get("name") == "obs-modelversion"
                and e.get("reportingComponent") == "modelyard"]

    events = await sandbox_cluster.wait_for(modelversion_events, timeout=10, message="ModelVersion events")
    assert {e["involvedObject"]["kind"] for e in events} == {"ModelVersion"}
    assert all(re.fullmatch(r"[A-Z][A-Za-z]+", str(e["reason"])) for e in events), events


async def test_liveness_is_ok_on_an_idle_cluster(sandbox_cluster: SandboxHandle, operator: OperatorProcess) -> None:
    await _create_one_of_each(sandbox_cluster)
    status, body = await operator.fetch(operator.healthz)
    assert status == 200, body
    assert '"watches"' in body and '"kube"' in body
