"""Pick the provider for a metric's ``MetricProvider`` spec."""

from __future__ import annotations

from dataclasses import dataclass, field

from modelyard.adapters.metrics.base import MetricsProvider
from modelyard.adapters.metrics.builtin import BuiltinMetricsProvider
from modelyard.adapters.metrics.prometheus import PrometheusMetricsProvider
from modelyard.api.inferenceservice import MetricProvider


@dataclass
class Providers:
    """The provider instances of one operator; the builtin one keeps scrape snapshots, so share it."""

    prometheus: PrometheusMetricsProvider = field(default_factory=PrometheusMetricsProvider)
    builtin: BuiltinMetricsProvider = field(default_factory=BuiltinMetricsProvider)


DEFAULT = Providers()


def provider_for(spec: MetricProvider, providers: Providers = DEFAULT) -> MetricsProvider:
    """The provider measuring ``spec``: Prometheus when ``prometheus`` is set, else the builtin one."""
    if spec.prometheus is not None:
        return providers.prometheus
    return providers.builtin
