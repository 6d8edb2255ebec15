"""Labels, owner references and the restricted security context every child carries (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MANAGED_BY = {"app.kubernetes.io/managed-by": "modelyard"}
LABEL_TRAININGJOB = "modelyard.io/trainingjob"
LABEL_INFERENCESERVICE = "modelyard.io/inferenceservice"
LABEL_MODELVERSION = "modelyard.io/modelversion"
LABEL_MODEL = "modelyard.io/model"
LABEL_DIGEST = "modelyard.io/digest"
LABEL_ROLE = "modelyard.io/role"

#: Labels and annotations that must never be copied from a custom resource onto its children:
#: Argo CD would adopt or prune the children as if they were its own.
NEVER_PROPAGATE = ("app.kubernetes.io/instance", "argocd.argoproj.io/tracking-id")


def owner_reference(owner: Mapping[str, Any], *, controller: bool = True) -> dict[str, Any]:
    """An ownerReference to ``owner`` (a body): children are garbage-collected with it."""
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def child_metadata(
    owner: Mapping[str, Any], name: str, labels: Mapping[str, str], annotations: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Metadata of a child object: our labels, an owner reference, nothing Argo CD would misread."""
    meta: dict[str, Any] = {
        "name": name,
        "namespace": owner["metadata"].get("namespace"),
        "labels": {**MANAGED_BY, **{k: v for k, v in labels.items() if k not in NEVER_PROPAGATE}},
        "ownerReferences": [owner_reference(owner)],
    }
    if annotations:
        meta["annotations"] = {k: v for k, v in annotations.items() if k not in NEVER_PROPAGATE}
    return meta


def restricted_pod_security_context() -> dict[str, Any]:
    """Pod Security Standard "restricted", pod level."""
    return {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def restricted_container_security_context() -> dict[str, Any]:
    """Pod Security Standard "restricted", container level, with a read-only root filesystem."""
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def tmp_volume() -> tuple[dict[str, Any], dict[str, Any]]:
    """An emptyDir at /tmp, so a read-only root filesystem still has scratch space."""
    return {"name": "tmp", "emptyDir": {}}, {"name": "tmp", "mountPath": "/tmp"}
