"""The Deployment controller's decisions (pure): ReplicaSets to apply or delete, and the status.

A template change makes a new ReplicaSet ``<deployment>-<pod-template-hash>``. RollingUpdate scales the
new one to ``spec.replicas`` at once (surge) and the old ones down as new pods become ready, so the
number of ready pods never drops; Recreate scales the old ones to zero first. Not modelled: ``paused``,
exact maxSurge arithmetic, ``progressDeadlineSeconds``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelyard.sandbox.controllers.common import condition, owner_ref, set_conditions

JsonDict = dict[str, Any]
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"


@dataclass(frozen=True)
class DeploymentPlan:
    """ReplicaSets to apply (whole bodies), to delete (names), and the Deployment's new status."""

    apply: list[JsonDict] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    status: JsonDict = field(default_factory=dict)


def pod_template_hash(template: Mapping[str, Any]) -> str:
    """A stable short hash of the pod template (lowercase alphanumerics, like the real label)."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    return format(int(digest[:12], 16), "x")[:10]


def calculate_deployment(dep: Mapping[str, Any], replicasets: Sequence[Mapping[str, Any]],
                         now: datetime) -> DeploymentPlan:
    spec = dep.get("spec", {})
    desired = spec.get("replicas", 1)
    template_hash = pod_template_hash(spec.get("template", {}))
    name = f"{dep['metadata']['name']}-{template_hash}"
    new = next((rs for rs in replicasets if rs["metadata"]["name"] == name), None)
    old = sorted((rs for rs in replicasets if rs is not new), key=_revision, reverse=True)
    recreate = spec.get("strategy", {}).get("type") == "Recreate"
    old_left = sum(_spec_replicas(rs) for rs in old) if recreate else max(desired - _ready(new), 0)
    apply = _scale_old(old, 0 if recreate else old_left)
    old_pods = sum(rs.get("status", {}).get("replicas", 0) for rs in old)
    new_target = 0 if recreate and old_pods > 0 else desired
    if new is None or _spec_replicas(new) != new_target:
        apply.insert(0, build_replicaset(dep, template_hash, new_target, _next_revision(new, old)))
    history = spec.get("revisionHistoryLimit", 10)
    stale = [rs["metadata"]["name"] for rs in old
             if _spec_replicas(rs) == 0 and not rs.get("status", {}).get("replicas")]
    return DeploymentPlan(apply=apply, delete=stale[history:], status=deployment_status(dep, new, old, now))


def _scale_old(old: Sequence[Mapping[str, Any]], budget: int) -> list[JsonDict]:
    """Scale the old ReplicaSets to share ``budget`` pods, newest first."""
    out: list[JsonDict] = []
    for rs in old:
        keep = min(_spec_replicas(rs), budget)
        budget -= keep
        if keep != _spec_replicas(rs):
            scaled = copy.deepcopy(dict(rs))
            scaled["spec"]["replicas"] = keep
            out.append(scaled)
    return out


def build_replicaset(dep: Mapping[str, Any], template_hash: str, replicas: int, revision: int) -> JsonDict:
    md, spec = dep["metadata"], dep.get("spec", {})
    tmpl = copy.deepcopy(spec.get("template", {}))
    tmpl.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = template_hash
    selector = copy.deepcopy(spec.get("selector", {}))
    selector.setdefault("matchLabels", {})[HASH_LABEL] = template_hash
    labels = {**tmpl["metadata"]["labels"]}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"{md['name']}-{template_hash}", "namespace": md.get("namespace"), "labels": labels,
                         "annotations": {REVISION: str(revision)},
                         "ownerReferences": [owner_ref(dep, "apps/v1", "Deployment")]},
            "spec": {"replicas": replicas, "selector": selector, "template": tmpl,
                     "minReadySeconds": spec.get("minReadySeconds", 0)}}


def deployment_status(dep: Mapping[str, Any], new: Mapping[str, Any] | None, old: Sequence[Mapping[str, Any]],
                      now: datetime) -> JsonDict:
    everyone = [*([new] if new else []), *old]
    desired = dep.get("spec", {}).get("replicas", 1)
    total = sum(rs.get("status", {}).get("replicas", 0) for rs in everyone)
    available = sum(rs.get("status", {}).get("availableReplicas", 0) for rs in everyone)
    updated = (new or {}).get("status", {}).get("replicas", 0)
    status: JsonDict = copy.deepcopy(dep.get("status") or {})
    status.update({"observedGeneration": dep["metadata"].get("generation", 1), "replicas": total,
                   "updatedReplicas": updated, "availableReplicas": available,
                   "readyReplicas": sum(rs.get("status", {}).get("readyReplicas", 0) for rs in everyone),
                   "unavailableReplicas": max(desired - available, 0)})
    done = updated == desired == total and _ready(new) >= desired
    enough = available >= desired - max_unavailable(dep)
    rs_name = (new or {}).get("metadata", {}).get("name", dep["metadata"]["name"])
    set_conditions(status, _condition("Available", enough, "MinimumReplicasAvailable" if enough
                                      else "MinimumReplicasUnavailable", "Deployment has minimum availability."
                                      if enough else "Deployment does not have minimum availability.", now),
                   _condition("Progressing", True, "NewReplicaSetAvailable" if done else "ReplicaSetUpdated",
                              f'ReplicaSet "{rs_name}" ' + ("has successfully progressed." if done
                                                           else "is progressing."), now))
    for key in ("readyReplicas", "availableReplicas", "updatedReplicas", "unavailableReplicas", "replicas"):
        if not status[key] and key != "replicas":
            status.pop(key)
    return status


def _condition(type_: str, ok: bool, reason: str, message: str, now: datetime) -> JsonDict:
    return condition(type_, "True" if ok else "False", reason, message, now, update_key="lastUpdateTime")


def max_unavailable(dep: Mapping[str, Any]) -> int:
    """``maxUnavailable`` of a RollingUpdate (int or percent, rounded down; default 25%); all for Recreate.

    >>> max_unavailable({"spec": {"replicas": 10}}), max_unavailable({"spec": {"replicas": 3}})
    (2, 0)
    """
    spec = dep.get("spec", {})
    desired = spec.get("replicas", 1)
    strategy = spec.get("strategy", {})
    if strategy.get("type") == "Recreate":
        return int(desired)
    raw = strategy.get("rollingUpdate", {}).get("maxUnavailable", "25%")
    if isinstance(raw, str) and raw.endswith("%"):
        return int(desired * int(raw[:-1]) // 100)
    return int(raw)


def _spec_replicas(rs: Mapping[str, Any] | None) -> int:
    return int((rs or {}).get("spec", {}).get("replicas", 1))


def _ready(rs: Mapping[str, Any] | None) -> int:
    return int((rs or {}).get("status", {}).get("availableReplicas", 0))


def _revision(rs: Mapping[str, Any]) -> int:
    return int((rs.get("metadata", {}).get("annotations") or {}).get(REVISION, "0"))


def _next_revision(new: Mapping[str, Any] | None, old: Sequence[Mapping[str, Any]]) -> int:
    if new is not None and _revision(new) > max((_revision(rs) for rs in old), default=0):
        return _revision(new)
    return max((_revision(rs) for rs in [*old, *([new] if new else [])]), default=0) + 1
