"""The controller against a fake KubeClient: what it writes, and that it writes nothing when settled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from modelyard.adapters.kube import ApiError, Ref
from modelyard.controller.modelversion import (
    NUDGE_ATTEMPTS,
    RegistryIndexes,
    affected_modelversions,
    calculate_decision,
    nudge_modelversions,
    nudge_siblings,
    reconcile_modelversion,
)
from modelyard.core.registry import record_from_body
from modelyard.core.registry_usage import usages_from_inferenceservice
from tests.unit.registry.helpers import isvc_body, mv_body

NOW = datetime(2026, 3, 1, tzinfo=UTC)


class FakeKube:
    """Records patches, creates and reads; ``fail`` makes the first ``times`` status patches raise it;
    ``fresh`` is what a read returns (None: the object is gone)."""

    def __init__(self, fail: ApiError | None = None, times: int = 100, fresh: dict[str, Any] | None = None) -> None:
        self.calls: list[tuple[str, str, Any, str | None]] = []
        self.fail, self.times, self.fresh = fail, times, fresh

    async def patch(self, ref: Ref, namespace: str | None, name: str, body: Any, *,
                    subresource: str | None = None, **_: Any) -> dict[str, Any]:
        if subresource == "status" and self.fail is not None and self.times > 0:
            self.times -= 1
            raise self.fail
        self.calls.append(("patch", name, body, subresource))
        return {"metadata": {"resourceVersion": str(int(body["metadata"].get("resourceVersion", "7")) + 1)}}

    async def get_or_none(self, ref: Ref, namespace: str | None, name: str) -> dict[str, Any] | None:
        self.calls.append(("get", name, None, None))
        return self.fresh

    async def create(self, ref: Ref, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("create", body.get("kind", ""), body.get("reason"), None))
        return body


def build(mvs: list[dict[str, Any]], isvcs: list[dict[str, Any]]) -> RegistryIndexes:
    versions: dict[Any, list[Any]] = {}
    bodies: dict[Any, list[Any]] = {}
    holders: dict[Any, list[str]] = {}
    for b in mvs:
        r = record_from_body(b)
        assert r is not None
        versions.setdefault(("ns", r.model), []).append(r)
        bodies[("ns", r.name)] = [b]
        for h in b.get("status", {}).get("heldBy", []):
            holders.setdefault(("ns", h), []).append(r.name)
    usages: dict[Any, list[Any]] = {}
    for i in isvcs:
        for mv, u in usages_from_inferenceservice(i).items():
            usages.setdefault(("ns", mv), []).append(u)
    return RegistryIndexes(versions, usages, bodies, holders)


def settled_status(body: dict[str, Any], indexes: RegistryIndexes) -> dict[str, Any]:
    """The status a first reconcile writes (its decision, no I/O)."""
    return calculate_decision(body, indexes, NOW).status


async def test_first_reconcile_protects_then_writes_the_status_then_posts_events() -> None:
    kube = FakeKube()
    body = mv_body(finalizers=["modelyard.io/finalizer"])
    assert await reconcile_modelversion(kube, body, build([body], []), NOW) == 1  # type: ignore[arg-type]
    assert [(c[0], c[3]) for c in kube.calls] == [("patch", None), ("patch", "status"), ("create", None)]
    protect, status = kube.calls[0][2], kube.calls[1][2]
    assert protect["metadata"] == {"finalizers": ["modelyard.io/finalizer", "modelyard.io/protection"],
                                   "resourceVersion": "7"}
    assert status["metadata"] == {"resourceVersion": "8"}  # the version the finalizer patch made
    assert status["status"]["phase"] == "Ready"


async def test_settled_reconcile_makes_no_call() -> None:
    kube = FakeKube()
    body = mv_body()
    body["status"] = settled_status(body, build([body], []))
    assert await reconcile_modelversion(kube, body, build([body], []), NOW) == 0  # type: ignore[arg-type]
    assert kube.calls == []


@pytest.mark.parametrize(
    ("attempts", "fails", "written", "reads"),
    [(1, 1, 0, 0), (3, 1, 1, 1), (3, 100, 0, 2)],
    ids=["timer-leaves-a-conflict-to-its-next-tick", "handler-decides-again-from-a-fresh-read",
         "handler-gives-up-after-its-attempts"],
)
async def test_a_lost_status_write_is_decided_again_or_left_to_the_next_tick(
        attempts: int, fails: int, written: int, reads: int) -> None:
    body = mv_body()
    kube = FakeKube(fail=ApiError(409, "Conflict", "changed"), times=fails, fresh=mv_body())
    got = await reconcile_modelversion(kube, body, build([body], []), NOW, attempts=attempts)  # type: ignore[arg-type]
    assert (got, sum(1 for c in kube.calls if c[0] == "get")) == (written, reads)
    assert len([c for c in kube.calls if c[0] == "create"]) == written  # Events only after a write that landed


async def test_a_refused_protection_patch_writes_nothing_else() -> None:
    class Refusing(FakeKube):
        async def patch(self, ref: Ref, namespace: str | None, name: str, body: Any, *,
                        subresource: str | None = None, **_: Any) -> dict[str, Any]:
            raise ApiError(409, "Conflict", "changed")
    kube = Refusing()
    body = mv_body(finalizers=[])
    assert await reconcile_modelversion(kube, body, build([body], []), NOW, attempts=1) == 0  # type: ignore[arg-type]
    assert kube.calls == []


async def test_nudge_releases_a_held_version_when_the_service_moves_on() -> None:
    body = mv_body(deleting=True)
    body["status"] = {"heldBy": ["web"], "servedBy": [{"inferenceService": "web", "role": "stable"}]}
    moved_on = isvc_body(status={"stable": {"modelVersion": "iris-v2"}})
    indexes = build([body], [moved_on])
    assert affected_modelversions(moved_on, indexes.holders) == ["iris-v1", "iris-v2"]
    kube = FakeKube()
    assert await nudge_modelversions(kube, moved_on, indexes, NOW) == 0  # type: ignore[arg-type]
    finalizer_patches = [c for c in kube.calls if c[0] == "patch" and c[3] is None]
    assert finalizer_patches[0][2]["metadata"] == {"finalizers": [], "resourceVersion": "7"}


async def test_nudge_writes_status_with_a_precondition() -> None:
    body = mv_body()
    body["status"] = settled_status(body, build([body], []))
    serving = isvc_body(status={"stable": {"modelVersion": "iris-v1"}})
    kube = FakeKube()
    assert await nudge_modelversions(kube, serving, build([body], [serving]), NOW) == 1  # type: ignore[arg-type]
    status_writes = [c for c in kube.calls if c[3] == "status"]
    assert status_writes[0][2]["metadata"] == {"resourceVersion": "7"}
    assert status_writes[0][2]["status"]["heldBy"] == ["web"]


@pytest.mark.parametrize(
    ("status", "times", "fresh", "written", "reads"),
    [(409, 1, {"resourceVersion": "8"}, 1, 1), (409, 100, {"resourceVersion": "8"}, 0, NUDGE_ATTEMPTS - 1),
     (409, 1, None, 0, 1), (404, 1, None, 0, 0)],
    ids=["conflict-decides-again-from-a-fresh-read", "keeps-conflicting-gives-up", "conflict-then-gone", "gone"],
)
async def test_nudge_retries_a_lost_write_from_a_fresh_read(
        status: int, times: int, fresh: dict[str, Any] | None, written: int, reads: int) -> None:
    body = mv_body()
    fresh_body = None if fresh is None else {**mv_body(), "metadata": {**mv_body()["metadata"], **fresh}}
    serving = isvc_body(status={"stable": {"modelVersion": "iris-v1"}})
    kube = FakeKube(fail=ApiError(status, "Conflict", "changed"), times=times, fresh=fresh_body)
    assert await nudge_modelversions(kube, serving, build([body], [serving]), NOW) == written  # type: ignore[arg-type]
    assert sum(1 for c in kube.calls if c[0] == "get") == reads
    status_writes = [c for c in kube.calls if c[3] == "status"]
    assert [w[2]["metadata"] for w in status_writes] == [{"resourceVersion": "8"}] * written


async def test_nudge_posts_no_event_when_its_status_write_loses() -> None:
    body = mv_body()  # finalizer present, no status yet: the decision has Events to post
    serving = isvc_body(status={"stable": {"modelVersion": "iris-v1"}})
    kube = FakeKube(fail=ApiError(409, "Conflict", "changed"), fresh=body)
    assert await nudge_modelversions(kube, serving, build([body], [serving]), NOW) == 0  # type: ignore[arg-type]
    assert [c for c in kube.calls if c[0] == "create"] == []


@pytest.mark.parametrize(
    ("keep_last", "deleted", "expected"),
    [(None, False, []), (2, False, ["iris-v1"]), (2, True, [])],
    ids=["no-policy-nothing-to-nudge", "new-version-retires-the-oldest", "deleted-version-nudges-nothing-new"],
)
async def test_nudge_siblings_writes_what_a_new_version_changes(
        keep_last: int | None, deleted: bool, expected: list[str]) -> None:
    old = [mv_body(f"iris-v{i}", version=f"v{i}", created=f"2026-01-0{i}T00:00:00Z") for i in (1, 2)]
    for b in old:
        b["status"] = settled_status(b, build(old, []))
    new = mv_body("iris-v3", version="v3", created="2026-01-03T00:00:00Z")
    if keep_last is not None:
        new["spec"]["retention"] = {"keepLast": keep_last}
    kube = FakeKube()
    indexes = build(old if deleted else [*old, new], [])
    await nudge_siblings(kube, new, indexes, NOW)  # type: ignore[arg-type]
    assert [c[1] for c in kube.calls if c[3] == "status"] == expected


async def test_nudge_posts_events_after_its_status_write() -> None:
    body = mv_body()
    serving = isvc_body(status={"stable": {"modelVersion": "iris-v1"}})
    kube = FakeKube()
    assert await nudge_modelversions(kube, serving, build([body], [serving]), NOW) == 1  # type: ignore[arg-type]
    assert [(c[0], c[3]) for c in kube.calls][:2] == [("patch", "status"), ("create", None)]


async def test_nudge_raises_other_errors() -> None:
    body = mv_body()
    serving = isvc_body(status={"stable": {"modelVersion": "iris-v1"}})
    with pytest.raises(ApiError):
        await nudge_modelversions(FakeKube(fail=ApiError(500, "Boom", "x")), serving,  # type: ignore[arg-type]
                                  build([body], [serving]), NOW)
