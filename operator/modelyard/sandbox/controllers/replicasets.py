"""The ReplicaSet controller's decisions (pure): pods to create or delete, and the status."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelyard.sandbox.controllers.common import is_active, is_ready, owner_ref

JsonDict = dict[str, Any]
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the API server's generateName alphabet


@dataclass(frozen=True)
class ReplicaSetPlan:
    create: list[JsonDict] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    status: JsonDict = field(default_factory=dict)


def pod_suffix(seed: str, k: int) -> str:
    """Five characters that look like generateName's, stable for (seed, k), so creation is idempotent.

    >>> pod_suffix("uid-1", 0) == pod_suffix("uid-1", 0), len(pod_suffix("uid-1", 0))
    (True, 5)
    """
    digest = hashlib.sha256(f"{seed}/{k}".encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:5])


def calculate_replicaset(rs: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> ReplicaSetPlan:
    """Converge the owned ``pods`` to ``spec.replicas``; terminal pods are replaced and removed."""
    active = [p for p in pods if is_active(p)]
    done = [p["metadata"]["name"] for p in pods if not is_active(p) and not p["metadata"].get("deletionTimestamp")]
    wanted = rs.get("spec", {}).get("replicas", 1)
    surplus = sorted(active, key=_deletion_rank)[: max(len(active) - wanted, 0)]
    taken = {p["metadata"]["name"] for p in pods}
    create = [build_pod(rs, n) for n in _free_names(rs, taken, max(wanted - len(active), 0))]
    kept = [p for p in active if p not in surplus]
    return ReplicaSetPlan(create=create, delete=done + [p["metadata"]["name"] for p in surplus],
                          status=replicaset_status(rs, kept))


def replicaset_status(rs: Mapping[str, Any], active: Sequence[Mapping[str, Any]]) -> JsonDict:
    ready = sum(1 for p in active if is_ready(p))
    return {"replicas": len(active), "fullyLabeledReplicas": len(active), "readyReplicas": ready,
            "availableReplicas": ready, "observedGeneration": rs.get("metadata", {}).get("generation", 1)}


def _deletion_rank(pod: Mapping[str, Any]) -> tuple[int, int, str]:
    """Delete unscheduled/pending first, then not ready, then the newest (as the real controller)."""
    phase = pod.get("status", {}).get("phase", "Pending")
    created = pod.get("metadata", {}).get("creationTimestamp", "")
    return (0 if phase == "Pending" else 1, 1 if is_ready(pod) else 0, _invert(created))


def _invert(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text)


def _free_names(rs: Mapping[str, Any], taken: set[str], count: int) -> list[str]:
    md = rs["metadata"]
    names: list[str] = []
    k = 0
    while len(names) < count:
        name = f"{md['name']}-{pod_suffix(md.get('uid', md['name']), k)}"
        if name not in taken:
            names.append(name)
        k += 1
    return names


def build_pod(rs: Mapping[str, Any], name: str) -> JsonDict:
    md, tmpl = rs["metadata"], copy.deepcopy(rs.get("spec", {}).get("template", {}))
    meta = tmpl.get("metadata", {})
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": md.get("namespace"), "labels": meta.get("labels", {}),
                         "annotations": meta.get("annotations", {}),
                         "ownerReferences": [owner_ref(rs, "apps/v1", "ReplicaSet")]},
            "spec": tmpl.get("spec", {})}
