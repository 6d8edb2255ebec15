"""The timer takes over a generation whose first status kopf failed to write, and only then."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from modelyard.adapters.kube import EVENTS, JOBS, TRAININGJOBS, ApiError, Ref
from modelyard.controller.trainingjob import reconcile_change, resync_trainingjob
from modelyard.core.training_takeover import (
    PassRecord,
    calculate_handled,
    calculate_noted,
    calculate_written,
    should_handler_skip,
    should_take_over,
)

from .builders import NOW, tj_body
from .fake_kube import FakeKube

GRACE = timedelta(seconds=2)
S = timedelta(seconds=1)


@pytest.mark.parametrize(("record", "generation", "observed", "now", "want"), [
    (PassRecord(), 1, 1, NOW, False),  # described: the timer's ordinary pass, not a take-over
    (PassRecord(), 1, None, NOW, False),  # first sighting (or a restart): the grace starts now
    (PassRecord(1, NOW), 1, None, NOW + S, False),  # a change-handler pass ended 1 s ago: its patch may land
    (PassRecord(1, NOW), 1, None, NOW + 2 * S, True),  # a grace without the status: kopf's patch was lost
    (PassRecord(1, NOW), 2, 1, NOW + 5 * S, False),  # a newer generation: its own grace, from its sighting
    (PassRecord(1, NOW, written=1), 1, None, NOW + 5 * S, False),  # written by a timer pass, the body lags
    (PassRecord(2, NOW), 2, 1, NOW + 2 * S, True),  # an update whose status kopf failed to write
], ids=["described", "first-sighting", "within-grace", "grace-over", "newer-generation", "already-written",
        "update-lost"])
def test_should_take_over(record: PassRecord, generation: int, observed: int | None, now: Any, want: bool) -> None:
    assert should_take_over(record, generation, observed, now, GRACE) == want


@pytest.mark.parametrize(("record", "generation", "now", "want"), [
    (PassRecord(), 1, NOW, PassRecord(1, NOW)),
    (PassRecord(1, NOW), 1, NOW + S, PassRecord(1, NOW)),  # a later sighting does not restart the grace
    (PassRecord(1, NOW, written=1), 2, NOW + S, PassRecord(2, NOW + S, written=1)),
], ids=["first", "again", "newer"])
def test_calculate_noted(record: PassRecord, generation: int, now: Any, want: PassRecord) -> None:
    assert calculate_noted(record, generation, now) == want


def test_a_handler_pass_restarts_the_grace_and_a_timer_write_ends_the_handlers_turn() -> None:
    handled = calculate_handled(PassRecord(1, NOW), 1, NOW + 5 * S)
    assert handled == PassRecord(1, NOW + 5 * S) and not should_take_over(handled, 1, None, NOW + 6 * S, GRACE)
    assert should_handler_skip(calculate_written(handled, 1), 1) and not should_handler_skip(handled, 1)


class ConflictingKube(FakeKube):
    """Refuses the next ``conflicts`` status writes with 409, as the API does to a stale resourceVersion."""

    def __init__(self, conflicts: int = 0) -> None:
        super().__init__()
        self.conflicts = conflicts

    async def patch(self, ref: Ref, namespace: str | None, name: str, body: Any, *, content_type: str = "",
                    subresource: str | None = None) -> dict[str, Any]:
        if subresource == "status" and self.conflicts:
            self.conflicts -= 1
            raise ApiError(409, "Conflict", "the object has been modified")
        return await super().patch(ref, namespace, name, body, content_type=content_type, subresource=subresource)


def stored(kube: FakeKube) -> dict[str, Any]:
    return dict(kube.objects[("trainingjobs", "ml", "iris-train")].get("status") or {})


async def test_a_first_status_kopf_failed_to_write_is_written_by_the_timer_a_grace_later_once() -> None:
    kube, body, memo = FakeKube(), tj_body(), {}
    kube.put(TRAININGJOBS, "ml", body)
    assert await reconcile_change(kube, memo, dict(body), NOW)  # the patch kopf then fails to write
    assert not await resync_trainingjob(kube, memo, body, NOW + S, GRACE) and stored(kube) == {}
    assert await resync_trainingjob(kube, memo, body, NOW + 2 * S, GRACE)
    assert stored(kube)["observedGeneration"] == 1 and len(kube.of(JOBS)) == 1
    assert await reconcile_change(kube, memo, dict(body), NOW + 3 * S) == {}  # a stale re-run: nothing twice
    assert not await resync_trainingjob(kube, memo, body, NOW + 4 * S, GRACE)  # the lagging body: fresh read
    reasons = [e["reason"] for e in kube.of(EVENTS)]  # the timer saw the Job the lost pass created
    assert len(kube.of(JOBS)) == 1 and reasons == ["JobCreated", "Pending"]


async def test_a_first_status_kopf_wrote_is_not_decided_again() -> None:
    kube, body, memo = FakeKube(), tj_body(), {}
    kube.put(TRAININGJOBS, "ml", body)
    kube.objects[("trainingjobs", "ml", "iris-train")]["status"] = await reconcile_change(kube, memo, dict(body), NOW)
    writes = len([c for c in kube.calls if c.startswith("patch")])
    assert not await resync_trainingjob(kube, memo, body, NOW + 5 * S, GRACE)  # the lagging body: fresh read
    assert len([c for c in kube.calls if c.startswith("patch")]) == writes and len(kube.of(EVENTS)) == 1


async def test_after_a_restart_the_timer_waits_a_grace_then_its_fresh_read_decides() -> None:
    kube, body, memo = FakeKube(), tj_body(), {}  # memo empty: a new process, no status yet
    kube.put(TRAININGJOBS, "ml", body)
    assert not await resync_trainingjob(kube, memo, body, NOW, GRACE) and kube.calls == []
    assert await resync_trainingjob(kube, memo, body, NOW + 2 * S, GRACE)
    assert stored(kube)["observedGeneration"] == 1


async def test_a_timer_write_refused_with_409_posts_no_event_and_the_next_tick_writes() -> None:
    kube, body, memo = ConflictingKube(conflicts=1), tj_body(), {}
    kube.put(TRAININGJOBS, "ml", body)
    await resync_trainingjob(kube, memo, body, NOW, GRACE)
    assert not await resync_trainingjob(kube, memo, body, NOW + 2 * S, GRACE)
    assert stored(kube) == {} and kube.of(EVENTS) == []
    assert await resync_trainingjob(kube, memo, body, NOW + 3 * S, GRACE)
    assert stored(kube)["observedGeneration"] == 1 and len(kube.of(EVENTS)) == 1 and len(kube.of(JOBS)) == 1
