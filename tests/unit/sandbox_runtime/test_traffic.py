"""The pure parts of the sandbox's local endpoints: backends of a Service, route weights, balancers."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from modelyard.sandbox.runtime.traffic import (
    PORTS,
    Backend,
    RoundRobin,
    SmoothWeighted,
    WeightedService,
    calculate_backends,
    calculate_route_backends,
)

SVC = {"metadata": {"name": "s", "namespace": "ns"},
       "spec": {"selector": {"app": "a"}, "ports": [{"port": 80, "targetPort": "http"}]}}


def pod(name: str, *, ready: bool = True, ports: dict[str, int] | None = None, phase: str = "Running",
        labels: dict[str, str] | None = None, deleting: bool = False) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "namespace": "ns", "labels": labels or {"app": "a"}, "annotations": {}}
    if ports is not None:
        md["annotations"][PORTS] = json.dumps(ports)
    if deleting:
        md["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    return {"metadata": md,
            "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


@pytest.mark.parametrize(("service", "pods", "expected"), [
    (SVC, [pod("b", ports={"8080": 2}), pod("a", ports={"8080": 1})],
     (Backend("a", "http://127.0.0.1:1"), Backend("b", "http://127.0.0.1:2"))),
    (SVC, [pod("a", ready=False, ports={"8080": 1})], ()),
    (SVC, [pod("a", ports=None)], ()),
    (SVC, [pod("a", ports={"9090": 1})], ()),
    (SVC, [pod("a", ports={"8080": 1}, labels={"app": "other"})], ()),
    (SVC, [pod("a", ports={"8080": 1}, phase="Succeeded")], ()),
    (SVC, [pod("a", ports={"8080": 1}, deleting=True)], ()),
    ({"spec": {"selector": {"app": "a"}, "ports": [{"port": 8080}]}}, [pod("a", ports={"8080": 7})],
     (Backend("a", "http://127.0.0.1:7"),)),
    ({"spec": {"selector": {"app": "a"}, "ports": []}}, [pod("a", ports={"8080": 7})], ()),
    ({"spec": {"ports": [{"port": 8080}]}}, [pod("a", ports={"8080": 7})], ()),
], ids=["sorted-by-name", "unready", "simulated-no-ports", "port-not-mapped", "not-selected", "finished",
        "deleting", "numeric-target-defaults-to-port", "no-service-port", "no-selector"])
def test_calculate_backends(service: dict[str, Any], pods: list[dict[str, Any]],
                            expected: tuple[Backend, ...]) -> None:
    assert calculate_backends(service, pods) == expected


def _route(*rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metadata": {"namespace": "ns"}, "spec": {"rules": [{"backendRefs": refs} for refs in rules]}}


@pytest.mark.parametrize(("route", "expected"), [
    (_route([{"name": "s", "weight": 80}, {"name": "c", "weight": 20}]),
     (WeightedService(("ns", "s"), 80), WeightedService(("ns", "c"), 20))),
    (_route([{"name": "s"}]), (WeightedService(("ns", "s"), 1),)),
    (_route([], [{"name": "s", "weight": 3}]), (WeightedService(("ns", "s"), 3),)),
    (_route([{"name": "s", "kind": "Bucket", "group": "x.io"}]), ()),
    (_route([{"name": "s", "weight": -5}]), (WeightedService(("ns", "s"), 0),)),
    ({"metadata": {"namespace": "ns"}, "spec": {}}, ()),
], ids=["weights", "default-weight-1", "first-rule-with-backends", "non-service-ignored", "negative-is-zero",
        "no-rules"])
def test_calculate_route_backends(route: dict[str, Any], expected: tuple[WeightedService, ...]) -> None:
    assert calculate_route_backends(route) == expected


@pytest.mark.parametrize(("weights", "picks", "sequence", "shares"), [
    ({"s": 80, "c": 20}, 100, None, {"s": 80, "c": 20}),
    ({"s": 4, "c": 1}, 5, "sscss", {"s": 4, "c": 1}),
    ({"a": 5, "b": 1, "c": 1}, 7, "aabacaa", {"a": 5, "b": 1, "c": 1}),
    ({"s": 1, "c": 1}, 4, "scsc", {"s": 2, "c": 2}),
    ({"s": 100, "c": 0}, 10, "ssssssssss", {"s": 10}),
    ({"s": 0, "c": 0}, 3, "", {}),
    ({}, 3, "", {}),
    ({"s": 90, "c": 10}, 1000, None, {"s": 900, "c": 100}),
], ids=["80-20-exact", "4-1-spread", "nginx-example", "even", "zero-weight-never", "all-zero", "empty", "90-10"])
def test_smooth_weighted(weights: dict[str, int], picks: int, sequence: str | None, shares: dict[str, int]) -> None:
    swrr = SmoothWeighted(weights)
    got = [swrr.pick() for _ in range(picks)]
    chosen = [g for g in got if g is not None]
    assert Counter(chosen) == Counter(shares)
    if sequence is not None:
        assert "".join(chosen) == sequence


@pytest.mark.parametrize(("pools", "expected"), [
    ([["a", "b"]] * 4, ["a", "b", "a", "b"]),
    ([["a", "b"], ["a"], ["a", "b"]], ["a", "a", "a"]),
    ([[], ["x"]], [None, "x"]),
], ids=["alternates", "pool-shrinks-and-grows", "empty-pool"])
def test_round_robin(pools: list[list[str]], expected: list[str | None]) -> None:
    rr = RoundRobin()
    assert [rr.pick(p) for p in pools] == expected


def test_docstring_examples() -> None:
    import doctest

    import modelyard.sandbox.runtime.traffic as traffic

    result = doctest.testmod(traffic)
    assert result.failed == 0 and result.attempted > 0
