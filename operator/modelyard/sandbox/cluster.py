"""Bootstrapping a sandbox cluster's state: built-in resources, namespaces, kopf's CRDs, CRD files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from modelyard.sandbox import crds
from modelyard.sandbox.builtins import BUILTINS, INITIAL_NAMESPACES, KOPF_PEERING_CRDS
from modelyard.sandbox.objects import Clock, utcnow
from modelyard.sandbox.resources import Registry
from modelyard.sandbox.store import Store


def new_store(
    crd_paths: Iterable[Path | str] = (), *, clock: Clock = utcnow, seed: int = 0, history_size: int = 10_000
) -> Store:
    """A store serving the built-ins, with the usual namespaces, kopf's peering CRDs and the given CRDs.

    ``crd_paths`` are YAML files or directories (like the repository's ``crds/``) holding one or more
    ``CustomResourceDefinition`` documents each.
    """
    registry = Registry()
    for info in BUILTINS:
        registry.add(info)
    store = Store(registry, clock=clock, seed=seed, history_size=history_size)
    crds.CrdController(store)
    namespaces = registry.get("", "v1", "namespaces")
    assert namespaces is not None
    for name in INITIAL_NAMESPACES:
        store.create(namespaces, "", {"metadata": {"name": name}})
    for crd in KOPF_PEERING_CRDS:
        crds.install(store, crd)
    for path in crd_paths:
        for crd in crds.load_crd_docs(Path(path)):
            crds.install(store, crd)
    return store
