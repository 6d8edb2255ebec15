"""Discovery documents: ``/version``, ``/api``, ``/apis``, ``/apis/{group}``, ``/api/v1``, ``/apis/{g}/{v}``.

Only the legacy (unaggregated) format is served: clients that ask for aggregated discovery
(``as=APIGroupDiscoveryList``) get the legacy document with ``Content-Type: application/json`` and fall
back to it, as client-go and kubectl do against older servers.
"""

from __future__ import annotations

from typing import Any

from modelyard.sandbox.resources import Registry, ResourceInfo

JsonDict = dict[str, Any]
VERSION = {
    "major": "1",
    "minor": "34",
    "gitVersion": "v1.34.0-modelyard-sandbox",
    "gitCommit": "sandbox",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.24",
    "compiler": "gc",
    "platform": "linux/amd64",
}
SUB_VERBS = {
    "status": ["get", "patch", "update"],
    "scale": ["get", "patch", "update"],
    "log": ["get"],
    "finalize": ["update"],
}


def api_versions(server_address: str) -> JsonDict:
    """``/api``."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group(registry: Registry, group: str) -> JsonDict:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in registry.versions(group)]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list(registry: Registry) -> JsonDict:
    """``/apis``: every named group."""
    groups = [_group(registry, g) for g in registry.groups() if g and registry.versions(g)]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: Registry, group: str) -> JsonDict | None:
    """``/apis/{group}``, or None if unknown."""
    if not registry.versions(group):
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(registry, group)}


def _resource_entries(info: ResourceInfo) -> list[JsonDict]:
    main: JsonDict = {
        "name": info.plural,
        "singularName": info.singular_name,
        "namespaced": info.namespaced,
        "kind": info.kind,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        main["shortNames"] = list(info.short_names)
    if info.categories:
        main["categories"] = list(info.categories)
    entries = [main]
    for sub in sorted(info.subresources):
        entry: JsonDict = {
            "name": f"{info.plural}/{sub}",
            "singularName": "",
            "namespaced": info.namespaced,
            "kind": info.kind,
            "verbs": SUB_VERBS.get(sub, ["get"]),
        }
        if sub == "scale":
            entry.update(group="autoscaling", version="v1", kind="Scale")
        entries.append(entry)
    return entries


def api_resource_list(registry: Registry, group: str, version: str) -> JsonDict | None:
    """``/api/v1`` or ``/apis/{g}/{v}``, or None if the group version isn't served."""
    infos = registry.in_version(group, version)
    if not infos:
        return None
    resources = [e for info in sorted(infos, key=lambda i: i.plural) for e in _resource_entries(info)]
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }
