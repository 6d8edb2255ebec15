"""``meta.k8s.io/v1`` Table responses, what ``kubectl get`` asks for.

Custom resources use their ``additionalPrinterColumns`` like apiextensions-apiserver's table convertor:
NAME first, then each column from the first JSONPath result, typed by the column type; ``date`` cells are
rendered by the server as a human age ("5m"), as the real server does; no printer columns means
NAME and AGE. Built-ins get the familiar kubectl columns (a subset of the real printers).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from modelyard.sandbox import jsonpath
from modelyard.sandbox.objects import Clock, meta
from modelyard.sandbox.resources import Column, ResourceInfo

JsonDict = dict[str, Any]
Cells = Callable[[JsonDict], list[Any]]
NAME = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name of the resource",
    "priority": 0,
}
AGE = Column("Age", "date", ".metadata.creationTimestamp", "Age of the resource")


def human_duration(seconds: float) -> str:
    """Go's ``duration.HumanDuration``: 45s, 3m20s, 5h, 3d4h, 2y."""
    secs = int(seconds)
    if secs < -1:
        return "<invalid>"
    if secs < 120:
        return f"{max(secs, 0)}s"
    minutes, hours = secs // 60, secs // 3600
    if minutes < 10:
        return f"{minutes}m{secs % 60}s" if secs % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    years, days = hours // 24 // 365, (hours // 24) % 365
    return f"{years}y{days}d" if days and hours < 24 * 365 * 8 else f"{years}y"


def age(value: Any, clock: Clock) -> str | None:
    """A timestamp string as an age, like ``ConvertToHumanReadableDateType``."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "<invalid>"
    return human_duration((clock() - when).total_seconds())


def _cell(column: Column, obj: JsonDict, clock: Clock) -> Any:
    results = jsonpath.find(obj, column.json_path)
    if not results or results[0] is None:
        return None
    value = results[0]
    if column.type == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value)
    if column.type == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if column.type == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if column.type == "boolean" and isinstance(value, bool):
        return value
    if column.type == "date":
        return age(value, clock)
    return None


def _definition(column: Column) -> JsonDict:
    return {
        "name": column.name,
        "type": column.type,
        "format": column.format,
        "description": column.description,
        "priority": column.priority,
    }


def _row_object(obj: JsonDict, include: str) -> JsonDict | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta(obj)}


def columns_for(info: ResourceInfo) -> tuple[list[JsonDict], Callable[[JsonDict, Clock], list[Any]]]:
    """Column definitions and a cell function for a resource."""
    builtin = BUILTIN_COLUMNS.get(info.storage_key)
    if builtin is not None:
        names, cells = builtin
        defs = (
            [NAME]
            + [{"name": n, "type": "string", "format": "", "description": n, "priority": 0} for n in names]
            + [_definition(AGE)]
        )

        def builtin_cells(obj: JsonDict, clock: Clock) -> list[Any]:
            return [meta(obj).get("name"), *cells(obj), _cell(AGE, obj, clock)]

        return defs, builtin_cells
    columns = list(info.columns) if info.columns is not None else [AGE]

    def crd_cells(obj: JsonDict, clock: Clock) -> list[Any]:
        return [meta(obj).get("name")] + [_cell(c, obj, clock) for c in columns]

    return [NAME] + [_definition(c) for c in columns], crd_cells


def to_table(
    info: ResourceInfo,
    objs: list[JsonDict],
    clock: Clock,
    *,
    resource_version: str = "",
    include_object: str = "Metadata",
    with_definitions: bool = True,
    continue_token: str = "",
) -> JsonDict:
    """A ``Table`` for some objects of one resource."""
    defs, cells = columns_for(info)
    rows = []
    for obj in objs:
        row: JsonDict = {"cells": cells(obj, clock)}
        row_obj = _row_object(obj, include_object)
        if row_obj is not None:
            row["object"] = row_obj
        rows.append(row)
    list_meta: JsonDict = {"resourceVersion": resource_version} if resource_version else {}
    if continue_token:
        list_meta["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": defs if with_definitions else [],
        "rows": rows,
    }


def _pod_cells(pod: JsonDict) -> list[Any]:
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    total = len((pod.get("spec") or {}).get("containers") or []) or len(statuses)
    ready = sum(1 for s in statuses if s.get("ready"))
    phase = (
        "Terminating"
        if meta(pod).get("deletionTimestamp")
        else status.get("reason") or status.get("phase", "")
    )
    restarts = sum(int(s.get("restartCount") or 0) for s in statuses)
    return [f"{ready}/{total}", phase, str(restarts)]


def _deployment_cells(dep: JsonDict) -> list[Any]:
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    return [
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        str(status.get("updatedReplicas", 0)),
        str(status.get("availableReplicas", 0)),
    ]


def _replicaset_cells(rs: JsonDict) -> list[Any]:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    return [str(spec.get("replicas", 1)), str(status.get("replicas", 0)), str(status.get("readyReplicas", 0))]


def _job_cells(job: JsonDict) -> list[Any]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    done = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
    state = "Complete" if "Complete" in done else "Failed" if "Failed" in done else "Running"
    return [state, f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}"]


def _service_cells(svc: JsonDict) -> list[Any]:
    spec = svc.get("spec") or {}
    ports = ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports") or [])
    return [spec.get("type", "ClusterIP"), spec.get("clusterIP", "<none>"), "<none>", ports or "<none>"]


BUILTIN_COLUMNS: dict[tuple[str, str], tuple[list[str], Cells]] = {
    ("", "pods"): (["Ready", "Status", "Restarts"], _pod_cells),
    ("apps", "deployments"): (["Ready", "Up-to-date", "Available"], _deployment_cells),
    ("apps", "replicasets"): (["Desired", "Current", "Ready"], _replicaset_cells),
    ("batch", "jobs"): (["Status", "Completions"], _job_cells),
    ("", "services"): (["Type", "Cluster-IP", "External-IP", "Port(s)"], _service_cells),
    ("", "namespaces"): (["Status"], lambda ns: [(ns.get("status") or {}).get("phase", "Active")]),
    ("", "configmaps"): (
        ["Data"],
        lambda cm: [str(len(cm.get("data") or {}) + len(cm.get("binaryData") or {}))],
    ),
    ("", "secrets"): (["Type", "Data"], lambda s: [s.get("type", "Opaque"), str(len(s.get("data") or {}))]),
    ("coordination.k8s.io", "leases"): (
        ["Holder"],
        lambda le: [(le.get("spec") or {}).get("holderIdentity", "")],
    ),
}
