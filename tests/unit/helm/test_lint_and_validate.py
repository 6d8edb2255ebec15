"""`helm lint --strict` for every values file, kubernetes-validate --strict for every rendered manifest,
and a misspelled or mistyped value refused by values.schema.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.unit.helm.chart import CHART, KUBE_VERSION, VALUES, VALUES_IDS, helm, render


@pytest.mark.parametrize("values", VALUES, ids=VALUES_IDS)
def test_helm_lint_strict(values: Path | None) -> None:
    result = helm("lint", "--strict", str(CHART), "--kube-version", KUBE_VERSION,
                  *(["--values", str(values)] if values else []))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout


def _custom_schemas(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema of every CRD the chart itself ships."""
    schemas = {}
    for crd in (d for d in docs if d["kind"] == "CustomResourceDefinition"):
        for version in crd["spec"]["versions"]:
            key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
            schemas[key] = version["schema"]["openAPIV3Schema"]
    return schemas


#: Fields of monitoring.coreos.com/v1 ServiceMonitor the chart uses (no CRD of it is available offline).
SERVICEMONITOR_SPEC = {"jobLabel", "namespaceSelector", "selector", "endpoints"}
SERVICEMONITOR_ENDPOINT = {"port", "path", "interval", "scrapeTimeout"}


def _validate_custom(doc: dict[str, Any], schemas: dict[tuple[str, str], dict[str, Any]]) -> None:
    if doc["kind"] == "PrometheusRule":  # structure and PromQL: tests/unit/observability/test_chart_monitoring.py
        return
    if doc["kind"] == "ServiceMonitor":
        assert set(doc["spec"]) <= SERVICEMONITOR_SPEC
        assert all(set(e) <= SERVICEMONITOR_ENDPOINT for e in doc["spec"]["endpoints"])
        return
    schema = schemas[(doc["apiVersion"], doc["kind"])]
    jsonschema.validate(doc, schema)


@pytest.mark.parametrize("values", VALUES, ids=VALUES_IDS)
def test_every_manifest_passes_kubernetes_validate_strict(values: Path | None) -> None:
    kv = pytest.importorskip("kubernetes_validate")
    docs = render(values)
    schemas = _custom_schemas(docs)
    for doc in docs:
        try:
            kv.validate(doc, KUBE_VERSION, strict=True)
        except kv.SchemaNotFoundError:
            _validate_custom(doc, schemas)


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("imagee.tag=1.0", "additional properties 'imagee' not allowed"),
        ("ha.replica=3", "additional properties 'replica' not allowed"),
        ("metrics.serviceMonitor.enable=true", "additional properties 'enable' not allowed"),
        ("crds.instal=false", "additional properties 'instal' not allowed"),
        ("logging.format=xml", "logging/format"),
        ("ha.replicas=one", "ha/replicas"),
        ("watch.namespaces={team-*}", "watch/namespaces/0"),
    ],
    ids=["top-level-typo", "nested-typo", "deep-typo", "crds-typo", "bad-enum", "bad-type", "glob-namespace"],
)
def test_schema_refuses_bad_values(setting: str, complaint: str) -> None:
    result = helm("template", "modelyard", str(CHART), "--set", setting)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_lint_strict_fails_on_a_misspelled_values_file(tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text(yaml.safe_dump({"metrics": {"servicemonitor": {"enabled": True}}}))
    result = helm("lint", "--strict", str(CHART), "--values", str(bad))
    assert result.returncode != 0
    assert "servicemonitor" in result.stdout + result.stderr


def test_every_object_in_the_schema_refuses_unknown_keys() -> None:
    def walk(node: dict[str, Any], path: str) -> list[str]:
        open_ = []
        if node.get("type") == "object" and "properties" in node and node.get("additionalProperties") is not False:
            open_.append(path or ".")
        for name, sub in node.get("properties", {}).items():
            open_ += walk(sub, f"{path}.{name}")
        return open_

    schema = yaml.safe_load((CHART / "values.schema.json").read_text())
    assert walk(schema, "") == []
