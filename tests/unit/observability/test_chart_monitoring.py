"""The chart's monitoring: a PrometheusRule with the alerts and a Grafana dashboard, both off by default.

kubernetes-validate has no schema for PrometheusRule and cannot look inside a dashboard ConfigMap, so the
structure is checked here, and every PromQL expression (alerts and dashboard panels) must parse with
``promtool check rules`` (Debian package ``prometheus``; skipped with a reason without it)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.helm.chart import CHART, of_kind, render

FULL = CHART / "ci" / "full-values.yaml"
ALERTS = {"ModelyardRollbackHappened", "ModelyardCanaryStuck", "ModelyardReconcileErrors", "ModelyardOperatorDown"}
GRAFANA_VARS = {"$__rate_interval": "5m", "$namespace": ".*", "${datasource}": "prometheus"}


def _rule(values: Path | None = FULL, *sets: str) -> dict[str, Any]:
    (rule,) = of_kind(render(values, *sets), "PrometheusRule")
    return rule


def _dashboard(values: Path | None = FULL) -> dict[str, Any]:
    (cm,) = [d for d in of_kind(render(values), "ConfigMap") if d["metadata"]["name"].endswith("-dashboard")]
    return dict(json.loads(cm["data"]["modelyard.json"]))


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool not found (apt-get install prometheus); PromQL not parsed")
    return found


def _check_rules(groups: list[dict[str, Any]], tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    result = subprocess.run([_promtool(), "check", "rules", str(path)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("values", "sets"), [(None, ()), (None, ("metrics.enabled=false",)),
                                              (FULL, ("metrics.enabled=false",))],
                         ids=["default", "metrics-off", "full-but-metrics-off"])
def test_off_unless_asked(values: Path | None, sets: tuple[str, ...]) -> None:
    docs = render(values, *sets)
    assert of_kind(docs, "PrometheusRule") == []
    assert not [d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-dashboard")]


def test_prometheusrule_structure() -> None:
    rule = _rule()
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    alerts = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    assert set(alerts) == ALERTS
    for name, alert in alerts.items():
        assert set(alert) <= {"alert", "expr", "for", "labels", "annotations"}, name
        assert alert["labels"]["severity"] in {"warning", "critical"}
        assert alert["annotations"]["summary"] and alert["annotations"]["description"]
    assert alerts["ModelyardCanaryStuck"]["for"] == "20m" and "[20m]" in alerts["ModelyardCanaryStuck"]["expr"]
    assert 'namespace="modelyard-system"' in alerts["ModelyardOperatorDown"]["expr"]


def test_alert_expressions_parse(tmp_path: Path) -> None:
    _check_rules(_rule()["spec"]["groups"], tmp_path)


def test_dashboard_structure_and_metrics() -> None:
    dash = _dashboard()
    assert dash["uid"] == "modelyard-operator" and dash["panels"]
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    used = set(re.findall(r"modelyard_[a-z_]+", " ".join(exprs)))
    assert {"modelyard_reconcile_total", "modelyard_canary_weight", "modelyard_rollout_status",
            "modelyard_rollbacks_total", "modelyard_reconcile_time_seconds_bucket"} <= used
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))


def test_dashboard_expressions_parse(tmp_path: Path) -> None:
    rules = []
    for panel in _dashboard()["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            for var, value in GRAFANA_VARS.items():
                expr = expr.replace(var, value)
            rules.append({"record": f"dashboard:panel{panel['id']}:{target['refId'].lower()}", "expr": expr})
    _check_rules([{"name": "dashboard", "rules": rules}], tmp_path)
