"""Parsing API request paths into a :class:`Target` (resource, namespace, name, subresource, verb).

``/api/v1/...`` and ``/apis/{group}/{version}/...`` followed by ``namespaces/{ns}/{plural}[/{name}[/{sub}]]``
or ``{plural}[/{name}[/{sub}]]``; the legacy ``/watch/`` prefix segment is accepted too.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.sandbox.errors import ApiError
from modelyard.sandbox.resources import Registry, ResourceInfo

_VERBS = {
    ("GET", False): "list",
    ("GET", True): "get",
    ("POST", False): "create",
    ("PUT", True): "update",
    ("PATCH", True): "patch",
    ("DELETE", True): "delete",
    ("DELETE", False): "deletecollection",
}


@dataclass
class Target:
    """What an API request is about."""

    group: str
    version: str
    plural: str
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    legacy_watch: bool = False
    info: ResourceInfo | None = None
    verb: str = ""


def split(path: str) -> tuple[str, str, list[str]] | None:
    """(group, version, rest-segments) for resource paths; None for anything else."""
    segs = [s for s in path.split("/") if s]
    if len(segs) >= 3 and segs[0] == "api":
        return "", segs[1], segs[2:]
    if len(segs) >= 4 and segs[0] == "apis":
        return segs[1], segs[2], segs[3:]
    return None


def parse(path: str, method: str, registry: Registry, *, watch: bool = False) -> Target | None:
    """Resolve a request; None if the path is not a resource path. Raises 404/405 like the server."""
    parts = split(path)
    if parts is None:
        return None
    group, version, rest = parts
    legacy = bool(rest) and rest[0] == "watch"
    rest = rest[1:] if legacy else rest
    if len(rest) >= 3 and rest[0] == "namespaces":
        candidate = registry.get(group, version, rest[2])
        if candidate is not None and candidate.namespaced:
            target = Target(group, version, rest[2], namespace=rest[1], legacy_watch=legacy)
            _fill(target, rest[3:])
            return _resolve(target, method, registry, watch or legacy)
    if not rest:
        return None
    target = Target(group, version, rest[0], legacy_watch=legacy)
    _fill(target, rest[1:])
    return _resolve(target, method, registry, watch or legacy)


def _fill(target: Target, tail: list[str]) -> None:
    if len(tail) > 2:
        raise ApiError(404, "the server could not find the requested resource")
    target.name = tail[0] if tail else ""
    target.subresource = tail[1] if len(tail) > 1 else ""


def _resolve(target: Target, method: str, registry: Registry, watch: bool) -> Target:
    info = registry.get(target.group, target.version, target.plural)
    if info is None:
        raise ApiError(404, "the server could not find the requested resource")
    if target.subresource and target.subresource not in info.subresources:
        raise ApiError(404, "the server could not find the requested resource")
    if info.namespaced and target.name and not target.namespace:
        raise ApiError(404, "the server could not find the requested resource")
    if not info.namespaced and target.namespace:
        raise ApiError(404, "the server could not find the requested resource")
    target.info = info
    verb = _VERBS.get((method, bool(target.name)))
    if verb is None:
        raise ApiError(405, f"the server does not allow this method on the requested resource: {method}")
    target.verb = "watch" if watch and verb in ("list", "get") else verb
    return target
