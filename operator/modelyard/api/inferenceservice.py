"""InferenceService: serves a ModelVersion and rolls new versions out as analysed canaries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from modelyard.api.common import (
    CONDITIONS_LIST,
    Condition,
    CRDInfo,
    Duration,
    EnvVar,
    LabelName,
    Model,
    Name,
    Resource,
    Resources,
    Threshold,
)


def _exactly_one(*fields: str) -> JsonDict:
    """The CEL rule; ``OneOf`` subclasses enforce the same in the model."""
    has = " + ".join(f"(has(self.{f}) ? 1 : 0)" for f in fields)
    return {"rule": f"{has} == 1", "message": f"set exactly one of {', '.join(fields)}"}


class OneOf(Model):
    """A choice: exactly one of the fields named in ``one_of`` is set (same rule as the CRD's CEL)."""

    one_of: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _exactly_one_set(self) -> OneOf:
        chosen = [f for f in self.one_of if getattr(self, f) is not None]
        if len(chosen) != 1:
            wire = [type(self).model_fields[f].alias or f for f in self.one_of]
            raise ValueError(f"set exactly one of {', '.join(wire)}")
        return self


class Gate(Model):
    """An offline gate on the candidate's recorded metrics, checked before any traffic moves."""

    metric: str = Field(min_length=1, max_length=128, description="Name of a metric in the ModelVersion.")
    threshold: Threshold | None = Field(default=None, description="Absolute range the metric must fall in.")
    max_regression: float | None = Field(
        default=None, ge=0,
        description="Largest allowed drop against the stable version's value (higher is better), absolute.",
    )
    lower_is_better: bool = Field(default=False, description="Regression means an increase, e.g. for a loss.")


class Track(Model):
    """Follow a model: every new Ready version that passes the gates starts a canary on its own."""

    model: LabelName = Field(description="Name of the model to follow.")
    selector: dict[str, str] = Field(
        default_factory=dict, description="Only versions whose spec.tags contain these."
    )


class ModelSource(OneOf):
    """Which model to serve: one pinned ModelVersion, or the newest passing version of a model."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [_exactly_one("modelVersion", "track")]})
    one_of = ('model_version', 'track')

    model_version: Name | None = Field(default=None, description="Name of the ModelVersion to serve.")
    track: Track | None = Field(default=None, description="Follow a model's newest passing version.")
    gates: list[Gate] = Field(default_factory=list, max_length=16, description="Offline gates for a candidate.")
    retry: int = Field(
        default=0, ge=0,
        description="Raise to retry versions rejected earlier (status.rejections with a lower retry are forgotten).",
    )


class Autoscaling(Model):
    """An autoscaling/v2 HorizontalPodAutoscaler for the stable Deployment."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "self.minReplicas <= self.maxReplicas", "message": "minReplicas must not exceed maxReplicas"},
    ]})

    min_replicas: int = Field(default=1, ge=1, le=1000, description="Fewest replicas.")
    max_replicas: int = Field(ge=1, le=1000, description="Most replicas.")
    target_cpu_utilization: int = Field(default=80, ge=1, le=100, description="Target average CPU, percent.")


class RuntimeKind(StrEnum):
    MODELYARD = "modelyard"
    CUSTOM = "custom"


class Predictor(Model):
    """The model server pods."""

    runtime: RuntimeKind = Field(
        default=RuntimeKind.MODELYARD,
        description="modelyard runs the reference server (`modelyard serve`); custom uses image/command as given.",
    )
    image: str | None = Field(default=None, max_length=512, description="Server image; the operator default if unset.")
    command: list[str] = Field(default_factory=list, max_length=64, description="Entrypoint override.")
    args: list[str] = Field(default_factory=list, max_length=256, description="Extra arguments.")
    env: list[EnvVar] = Field(default_factory=list, max_length=128, description="Extra environment variables.")
    port: int = Field(default=8080, ge=1, le=65535, description="HTTP port of the server.")
    resources: Resources = Field(default_factory=Resources, description="Resources of each server pod.")
    replicas: int = Field(default=1, ge=0, le=1000, description="Replicas of the stable version.")
    autoscaling: Autoscaling | None = Field(default=None, description="Scale the stable version with an HPA.")
    readiness_probe: dict[str, Any] | None = Field(
        default=None, description="core/v1 Probe; GET /v2/health/ready on the port when unset."
    )
    service_account_name: Name | None = Field(default=None, description="ServiceAccount of the server pods.")
    node_selector: dict[str, str] = Field(default_factory=dict, description="Node labels the pods must match.")
    tolerations: list[dict[str, Any]] = Field(default_factory=list, max_length=64, description="core/v1 Tolerations.")


class Pause(Model):
    """Hold the canary at its weight: for a duration, or until promoted when no duration is given."""

    duration: Duration | None = Field(default=None, description="How long to hold; until promoted if unset.")


class Step(OneOf):
    """One step of a canary: set a weight, or pause."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [_exactly_one("setWeight", "pause")]})
    one_of = ('set_weight', 'pause')

    set_weight: int | None = Field(default=None, ge=0, le=100, description="Percent of traffic to the canary.")
    pause: Pause | None = Field(default=None, description="Hold at the current weight.")


def _default_steps() -> list[Step]:
    return [
        Step(set_weight=20), Step(pause=Pause(duration="1m")),
        Step(set_weight=50), Step(pause=Pause(duration="1m")),
        Step(set_weight=100),
    ]


class Rollout(Model):
    """How a new version is rolled out."""

    steps: list[Step] = Field(default_factory=_default_steps, max_length=64, description="Canary steps, in order.")
    paused: bool = Field(default=False, description="Hold the rollout where it is (from Git or kubectl).")
    progress_deadline: Duration = Field(
        default="600s", description="Longest a step may make no progress before the canary is rolled back."
    )
    ready_deadline: Duration = Field(
        default="900s", description="Longest the canary may take to load its model and become ready."
    )
    scale_down_delay: Duration = Field(
        default="30s", description="How long the previous version keeps running after traffic leaves it."
    )
    history_limit: int = Field(default=10, ge=1, le=100, description="Rollouts kept in status.history.")


class PrometheusProvider(Model):
    """Query a Prometheus server; {{canary}}, {{stable}}, {{namespace}}, {{service}} and {{interval}} are templated."""

    address: str = Field(min_length=1, max_length=1024, pattern=r"^https?://.+$", description="Prometheus base URL.")
    query: str = Field(min_length=1, max_length=8192, description="PromQL returning one number.")
    traffic_query: str | None = Field(
        default=None, max_length=8192,
        description="PromQL returning the request count in the window; too little traffic is Inconclusive.",
    )


class BuiltinMetric(StrEnum):
    ERROR_RATE = "errorRate"
    LATENCY_P99 = "latencyP99"
    LATENCY_P50 = "latencyP50"


class BuiltinProvider(Model):
    """Scrape the canary pods' own /metrics; no Prometheus needed."""

    metric: BuiltinMetric = Field(description="errorRate (0..1), latencyP99 or latencyP50 (seconds).")


class MetricProvider(OneOf):
    """Where a measurement comes from."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [_exactly_one("prometheus", "builtin")]})
    one_of = ('prometheus', 'builtin')

    prometheus: PrometheusProvider | None = Field(default=None, description="A PromQL query.")
    builtin: BuiltinProvider | None = Field(default=None, description="The model server's own metrics.")


class AnalysisMetric(Model):
    """One health metric the canary is judged on."""

    name: str = Field(min_length=1, max_length=63, pattern=r"^[a-zA-Z][a-zA-Z0-9_-]*$", description="Metric name.")
    provider: MetricProvider = Field(description="Where the value comes from.")
    threshold: Threshold = Field(description="The passing range.")
    interval: Duration | None = Field(default=None, description="How often to measure; the analysis interval if unset.")
    min_requests: int = Field(
        default=20, ge=0, description="Fewest requests in the window to judge; fewer is Inconclusive."
    )


class Analysis(Model):
    """How the canary is judged while it takes traffic (Argo Rollouts' meanings for the limits)."""

    interval: Duration = Field(default="30s", description="How often each metric is measured.")
    failure_limit: int = Field(default=0, ge=0, description="Failed measurements tolerated; one more fails.")
    inconclusive_limit: int = Field(
        default=0, ge=0, description="Inconclusive measurements tolerated; one more pauses the rollout."
    )
    consecutive_error_limit: int = Field(
        default=4, ge=0, description="Provider errors in a row tolerated; one more fails the analysis."
    )
    metrics: list[AnalysisMetric] = Field(default_factory=list, max_length=16, description="Metrics to judge on.")


class RouterKind(StrEnum):
    REPLICA_RATIO = "replicaRatio"
    GATEWAY_API = "gatewayAPI"


class ParentRef(Model):
    """A Gateway the HTTPRoute attaches to."""

    name: Name = Field(description="Gateway name.")
    namespace: str | None = Field(default=None, max_length=63, description="Gateway namespace.")
    section_name: str | None = Field(default=None, max_length=253, description="Listener name.")


class Traffic(Model):
    """How traffic is split between stable and canary."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": [
        {"rule": "self.router != 'gatewayAPI' || size(self.parentRefs) > 0",
         "message": "gatewayAPI needs at least one parentRef"},
    ]})

    router: RouterKind = Field(
        default=RouterKind.REPLICA_RATIO,
        description="replicaRatio (pod counts behind one Service) or gatewayAPI (a weighted HTTPRoute).",
    )
    parent_refs: list[ParentRef] = Field(default_factory=list, max_length=16, description="Gateways, for gatewayAPI.")
    hostnames: list[str] = Field(default_factory=list, max_length=16, description="Hostnames, for gatewayAPI.")


class InferenceServiceSpec(Model):
    """What to serve and how to roll out a new version."""

    model: ModelSource = Field(description="Which model to serve.")
    predictor: Predictor = Field(default_factory=Predictor, description="The model server pods.")
    rollout: Rollout = Field(default_factory=Rollout, description="The canary strategy.")
    analysis: Analysis = Field(default_factory=Analysis, description="How the canary is judged.")
    traffic: Traffic = Field(default_factory=Traffic, description="How traffic is split.")


class ServicePhase(StrEnum):
    PROGRESSING = "Progressing"
    PAUSED = "Paused"
    HEALTHY = "Healthy"
    DEGRADED = "Degraded"


class ServedVersion(Model):
    """A ModelVersion being served, with what the pods need to load it (so status alone can re-render them)."""

    model_version: str = Field(description="Name of the ModelVersion.")
    digest: str | None = Field(default=None, description="Its artifact digest.")
    uri: str | None = Field(default=None, description="Its artifact URI.")
    format: str | None = Field(default=None, description="Its artifact format.")
    model: str | None = Field(default=None, description="The model it is a version of.")
    version: str | None = Field(default=None, description="Its version within the model.")
    verified: bool = Field(
        default=False,
        description="A ready pod of the modelyard runtime loaded the artifact (it refuses a digest that differs).",
    )


class MeasurementRecord(Model):
    """One measurement of one metric, as judged."""

    metric: str = Field(description="Metric name.")
    verdict: str = Field(description="Successful, Failed, Inconclusive or Error.")
    value: float | None = Field(default=None, description="Measured value.")
    requests: float | None = Field(default=None, description="Requests the value is based on, when known.")
    message: str | None = Field(default=None, description="Error or explanation.")
    time: datetime = Field(description="When it was taken.")


class MetricStatus(Model):
    """Counters of one metric of the running analysis (Argo Rollouts' meanings)."""

    name: str = Field(description="Metric name.")
    successful: int = Field(default=0, ge=0, description="Successful measurements.")
    failed: int = Field(default=0, ge=0, description="Failed measurements.")
    inconclusive: int = Field(default=0, ge=0, description="Inconclusive measurements.")
    errors: int = Field(default=0, ge=0, description="Provider errors.")
    consecutive_errors: int = Field(default=0, ge=0, description="Provider errors in a row.")
    last: MeasurementRecord | None = Field(default=None, description="The last measurement.")


class AnalysisStatus(Model):
    """The running analysis of the canary (reset for each new canary)."""

    verdict: str = Field(default="Running", description="Running, Successful, Failed, Inconclusive or Error.")
    started: datetime | None = Field(
        default=None,
        description="When the canary first took traffic; each metric is first measured a full interval later.",
    )
    metrics: list[MetricStatus] = Field(default_factory=list, max_length=16, description="One entry per metric.")


class HistoryEntry(Model):
    """One finished rollout."""

    model_version: str = Field(description="The candidate.")
    outcome: str = Field(description="Promoted, RolledBack, Aborted, GateFailed or Superseded.")
    message: str | None = Field(default=None, description="Why.")
    time: datetime = Field(description="When it ended.")


class Rejection(Model):
    """A version this service refused; not tried again until spec.model.retry is raised above ``retry``."""

    model_version: str = Field(description="The refused ModelVersion.")
    reason: str = Field(description="RolledBack, Aborted or GateFailed.")
    message: str = Field(default="", description="Why, in words.")
    time: datetime = Field(description="When it was refused.")
    retry: int = Field(default=0, ge=0, description="spec.model.retry when it was refused.")
    measurements: list[MeasurementRecord] = Field(
        default_factory=list, max_length=16, description="The measurements that failed it."
    )


class Retiring(Model):
    """A version traffic has left; its Deployment is removed at ``scaleDownAt``."""

    model_version: str = Field(description="Name of the ModelVersion.")
    scale_down_at: datetime = Field(description="When its Deployment is deleted.")
    drain: bool = Field(default=True, description="Keep its pods until then (false: scaled to zero at once).")


class Handled(Model):
    """The values of the command annotations already acted upon, so a restart never acts twice."""

    promote: str | None = Field(default=None, description="Last modelyard.io/promote value handled.")
    abort: str | None = Field(default=None, description="Last modelyard.io/abort value handled.")


class InferenceServiceStatus(Model):
    """Where the rollout stands."""

    phase: ServicePhase | None = Field(default=None, description="Progressing, Paused, Healthy or Degraded.")
    conditions: list[Condition] = Field(default_factory=list, max_length=16, description="Ready, Reconciling, Stalled.",
        json_schema_extra=CONDITIONS_LIST,
    )
    observed_generation: int | None = Field(default=None, description="The generation this status describes.")
    stable: ServedVersion | None = Field(default=None, description="The version taking the stable traffic.")
    canary: ServedVersion | None = Field(default=None, description="The version under analysis.")
    canary_started: datetime | None = Field(default=None, description="When the canary was created.")
    current_step: int | None = Field(default=None, ge=0, description="Index into spec.rollout.steps.")
    step_started: datetime | None = Field(default=None, description="When the current step began.")
    canary_weight: int = Field(default=0, ge=0, le=100, description="Percent of traffic on the canary.")
    analysis: AnalysisStatus | None = Field(default=None, description="The running analysis.")
    rejected: list[str] = Field(
        default_factory=list, max_length=256, description="ModelVersions this service refused; not retried."
    )
    rejections: list[Rejection] = Field(
        default_factory=list, max_length=256, description="Why each rejected version was refused."
    )
    retiring: list[Retiring] = Field(default_factory=list, max_length=16, description="Versions being scaled down.")
    handled: Handled = Field(default_factory=Handled, description="Command annotations already acted upon.")
    history: list[HistoryEntry] = Field(default_factory=list, max_length=100, description="Finished rollouts.")
    url: str | None = Field(default=None, description="Where to send inference requests.")
    message: str | None = Field(default=None, description="A human-readable summary of the state.")


class InferenceService(Resource):
    """Serves a ModelVersion; rolls new versions out as canaries judged on health metrics."""

    crd = CRDInfo(
        kind="InferenceService",
        plural="inferenceservices",
        short_names=["mis", "myisvc"],
        printer_columns=[
            {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
            {"name": "Stable", "type": "string", "jsonPath": ".status.stable.modelVersion"},
            {"name": "Canary", "type": "string", "jsonPath": ".status.canary.modelVersion"},
            {"name": "Weight", "type": "integer", "jsonPath": ".status.canaryWeight"},
            {"name": "URL", "type": "string", "jsonPath": ".status.url", "priority": 1},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ],
    )

    kind: str = Field(default="InferenceService", description="InferenceService")
    spec: InferenceServiceSpec = Field(description="What to serve and how.")
    status: InferenceServiceStatus = Field(default_factory=InferenceServiceStatus, description="Where it stands.")
