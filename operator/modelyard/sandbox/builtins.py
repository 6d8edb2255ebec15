"""Built-in resources the sandbox serves without a CRD, plus kopf's peering CRDs.

Built-ins get discovery, storage, selectors, patches and tables; they get no schema validation (a real
server validates them with compiled-in Go code; we check only the basic structure).
"""

from __future__ import annotations

from typing import Any

from modelyard.sandbox.resources import ResourceInfo

JsonDict = dict[str, Any]

_S = frozenset({"status"})


def _r(group: str, version: str, plural: str, kind: str, **kw: Any) -> ResourceInfo:
    return ResourceInfo(group=group, version=version, plural=plural, kind=kind, **kw)


BUILTINS: tuple[ResourceInfo, ...] = (
    _r(
        "",
        "v1",
        "namespaces",
        "Namespace",
        namespaced=False,
        short_names=("ns",),
        subresources=frozenset({"status", "finalize"}),
    ),
    _r(
        "",
        "v1",
        "pods",
        "Pod",
        short_names=("po",),
        categories=("all",),
        subresources=frozenset({"status", "log"}),
    ),
    _r("", "v1", "services", "Service", short_names=("svc",), categories=("all",), subresources=_S),
    _r("", "v1", "endpoints", "Endpoints", short_names=("ep",)),
    _r("", "v1", "events", "Event", short_names=("ev",)),
    _r("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    _r("", "v1", "secrets", "Secret"),
    _r("", "v1", "serviceaccounts", "ServiceAccount", short_names=("sa",)),
    _r(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        short_names=("deploy",),
        categories=("all",),
        subresources=frozenset({"status", "scale"}),
    ),
    _r(
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        short_names=("rs",),
        categories=("all",),
        subresources=frozenset({"status", "scale"}),
    ),
    _r("batch", "v1", "jobs", "Job", categories=("all",), subresources=_S),
    _r(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short_names=("hpa",),
        categories=("all",),
        subresources=_S,
    ),
    _r("coordination.k8s.io", "v1", "leases", "Lease"),
    _r("events.k8s.io", "v1", "events", "Event", short_names=("ev",)),
    _r(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short_names=("crd", "crds"),
        categories=("api-extensions",),
        subresources=_S,
    ),
    _r(
        "gateway.networking.k8s.io",
        "v1",
        "httproutes",
        "HTTPRoute",
        categories=("gateway-api",),
        subresources=_S,
    ),
)


def _peering_crd(plural: str, kind: str, scope: str) -> JsonDict:
    """kopf's peering CRD, as kopf's docs ship it (status kept as free-form)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.kopf.dev"},
        "spec": {
            "scope": scope,
            "group": "kopf.dev",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                            },
                        }
                    },
                }
            ],
        },
    }


KOPF_PEERING_CRDS: tuple[JsonDict, ...] = (
    _peering_crd("clusterkopfpeerings", "ClusterKopfPeering", "Cluster"),
    _peering_crd("kopfpeerings", "KopfPeering", "Namespaced"),
)

INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
