"""An in-memory KubeClient with the few methods the TrainingJob controller uses, and a call log."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any

from modelyard.adapters.kube import ApiError, Ref


def merge(target: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7386 merge patch, in place."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


class FakeKube:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str | None, str], dict[str, Any]] = {}
        self.calls: list[str] = []
        self._names = itertools.count()

    def put(self, ref: Ref, namespace: str | None, body: dict[str, Any]) -> None:
        self.objects[(ref.plural, namespace, body["metadata"]["name"])] = copy.deepcopy(body)

    def of(self, ref: Ref) -> list[dict[str, Any]]:
        return [o for (plural, _, _), o in self.objects.items() if plural == ref.plural]

    async def get_or_none(self, ref: Ref, namespace: str | None, name: str) -> dict[str, Any] | None:
        self.calls.append(f"get {ref.plural}/{name}")
        found = self.objects.get((ref.plural, namespace, name))
        return copy.deepcopy(found) if found is not None else None

    async def list(self, ref: Ref, namespace: str | None = None, *, labels: Any = None,
                   selector: str | None = None) -> list[dict[str, Any]]:
        self.calls.append(f"list {ref.plural}")
        want = dict(labels or {})
        return [copy.deepcopy(o) for (plural, ns, _), o in self.objects.items() if plural == ref.plural
                and ns == namespace and want.items() <= (o["metadata"].get("labels") or {}).items()]

    async def create(self, ref: Ref, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(f"create {ref.plural}")
        body = copy.deepcopy(body)
        meta = body["metadata"]
        meta.setdefault("name", f"{meta.get('generateName', 'x')}{next(self._names)}")
        if (ref.plural, namespace, meta["name"]) in self.objects:
            raise ApiError(409, "AlreadyExists", f"{ref.plural} {meta['name']} already exists")
        meta.setdefault("uid", f"uid-{ref.plural}-{meta['name']}")
        self.objects[(ref.plural, namespace, meta["name"])] = body
        return copy.deepcopy(body)

    async def patch(self, ref: Ref, namespace: str | None, name: str, body: Any, *, content_type: str = "",
                    subresource: str | None = None) -> dict[str, Any]:
        self.calls.append(f"patch {ref.plural}/{name}")
        target = self.objects.get((ref.plural, namespace, name))
        if target is None:
            raise ApiError(404, "NotFound", name)
        return copy.deepcopy(merge(target, body))

    async def apply(self, ref: Ref, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(f"apply {ref.plural}")
        self.put(ref, namespace, body)
        return body

    async def delete(self, ref: Ref, namespace: str | None, name: str, *, propagation: str = "") -> bool:
        self.calls.append(f"delete {ref.plural}/{name}")
        return self.objects.pop((ref.plural, namespace, name), None) is not None
