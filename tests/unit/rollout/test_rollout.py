"""The rollout state machine, scenario by scenario (Given a world / When it ticks / Then the status says)."""

from __future__ import annotations

from typing import Any

import pytest

from modelyard.api.inferenceservice import ServedVersion
from modelyard.core.rollout import decide_rollout, select_candidate
from modelyard.core.rollout_summary import ABORT, PROMOTE, is_settled

from .world import World, record

ANALYSIS = {"interval": "30s", "metrics": [{"name": "errors", "threshold": {"max": 0.05},
                                            "provider": {"builtin": {"metric": "errorRate"}}}]}
STEPS = {"steps": [{"setWeight": 20}, {"pause": {"duration": "1m"}}, {"setWeight": 50},
                   {"pause": {"duration": "1m"}}, {"setWeight": 100}], "scaleDownDelay": "30s"}


def serving(v1: str = "iris-v1", **spec: Any) -> World:
    """A world serving ``v1`` as a healthy stable, pinned."""
    w = World.of(**{"model": {"modelVersion": v1}, "rollout": STEPS, "analysis": ANALYSIS, **spec})
    w.desired = record(v1)
    w.tick()
    assert w.status.stable is not None and w.status.phase == "Healthy"
    return w


def start_canary(w: World, name: str = "iris-v2", **kw: Any) -> World:
    w.edit(model={"modelVersion": name})
    w.desired = record(name, created="2026-03-02T00:00:00Z", **kw)
    w.tick()
    return w


def test_first_version_goes_straight_to_stable() -> None:
    w = World.of(model={"modelVersion": "iris-v1"})
    w.stable_ready = 0
    w.desired = record("iris-v1")
    w.tick()
    assert w.status.stable == ServedVersion(model_version="iris-v1", digest="sha256:" + "a" * 64,
                                            uri="file:///models/iris-v1", format="sklearn", model="iris", version="v1")
    assert w.status.canary is None and w.status.phase == "Progressing"
    assert w.condition("Ready") == ("False", "Deploying") and w.condition("Reconciling") == ("True", "Deploying")
    w.stable_ready = 4
    w.tick(after=5)
    assert w.status.phase == "Healthy" and w.condition("Ready") == ("True", "Healthy")
    assert w.condition("Reconciling") is None and w.status.observed_generation == 1
    assert w.reasons == ["Deploying"] and w.status.url == "http://iris.ml.svc.cluster.local"
    assert w.status.stable is not None and w.status.stable.verified, "a ready modelyard pod checked the digest"


def test_custom_runtime_is_never_called_verified() -> None:
    w = World.of(model={"modelVersion": "iris-v1"}, predictor={"runtime": "custom", "image": "mine:1"})
    w.desired = record("iris-v1")
    w.tick()
    w.tick(after=1)
    assert w.status.stable is not None and not w.status.stable.verified


def test_waits_for_a_version_without_stalling() -> None:
    w = World.of(model={"modelVersion": "iris-v1"})
    w.tick()
    assert w.status.stable is None and w.condition("Ready") == ("Unknown", "WaitingForModelVersion")


def test_first_version_that_never_gets_ready_stalls_on_the_deadline() -> None:
    w = World.of(model={"modelVersion": "iris-v1"}, rollout={"readyDeadline": "60s"})
    w.stable_ready, w.desired = 0, record("iris-v1")
    w.tick()
    w.tick(after=61)
    assert w.condition("Stalled") == ("True", "DeadlineExceeded") and w.status.phase == "Degraded"


def promote_through_all_steps(w: World) -> list[int]:
    weights = []
    for _ in range(20):
        w.wait(30)
        w.tick(w.measure(0.01))
        weights.append(w.status.canary_weight)
        if w.status.canary is None:
            break
    return weights


def test_canary_promoted_through_all_steps() -> None:
    w = start_canary(serving())
    assert w.status.canary is not None and w.status.current_step == 0 and w.status.phase == "Progressing"
    weights = promote_through_all_steps(w)
    # the last step (100 %) completes and promotes in the same tick: the promoted version takes it all
    assert [x for i, x in enumerate(weights) if i == 0 or x != weights[i - 1]] == [20, 50, 0]
    assert w.status.stable is not None and w.status.stable.model_version == "iris-v2"
    assert w.status.canary is None and w.status.phase == "Healthy" and w.condition("Ready") == ("True", "Healthy")
    assert [(h.model_version, h.outcome) for h in w.status.history][:2] == [("iris-v2", "Promoted"),
                                                                           ("iris-v1", "Promoted")]
    assert [r.model_version for r in w.status.retiring] == ["iris-v1"] and w.status.retiring[0].drain
    assert w.reasons.count("WeightChanged") == 3 and "Promoted" in w.reasons
    w.tick(after=31)
    assert w.status.retiring == []


def test_step_waits_for_canary_pods_before_moving_traffic() -> None:
    w = serving()
    w.canary_ready_override = 0
    start_canary(w)
    w.tick(after=30)
    assert w.status.canary_weight == 0 and w.status.current_step == 0
    w.canary_ready_override = 1
    w.tick(after=1)
    assert w.status.canary_weight == 20 and w.status.current_step == 1
    assert w.status.analysis is not None and w.status.analysis.started == w.now, "traffic starts the window"
    started = w.now
    w.tick(after=90)
    assert w.status.analysis is not None and w.status.analysis.started == started


def test_rollback_on_failed_metric_is_stalled_and_never_retried() -> None:
    w = start_canary(serving())
    w.tick(after=1)
    assert w.status.canary_weight == 20
    w.wait(30).tick(w.measure(0.3))
    assert w.status.canary is None and w.status.canary_weight == 0
    assert w.status.stable is not None and w.status.stable.model_version == "iris-v1"
    assert w.condition("Ready") == ("False", "RolledBack") and w.condition("Stalled") == ("True", "RolledBack")
    assert w.status.phase == "Degraded" and w.status.rejected == ["iris-v2"]
    rejection = w.status.rejections[0]
    assert rejection.reason == "RolledBack" and rejection.measurements[0].value == 0.3
    assert w.status.history[0].outcome == "RolledBack" and w.events[-1].type == "Warning"
    assert [r.drain for r in w.status.retiring] == [False]  # replica ratio: canary pods leave at once
    for _ in range(3):
        w.tick(after=60)
    assert w.status.canary is None and w.condition("Stalled") == ("True", "RolledBack")


def test_a_new_pinned_version_clears_the_stall() -> None:
    w = start_canary(serving())
    w.wait(31).tick(w.measure(0.3))
    start_canary(w, "iris-v3")
    assert w.status.canary is not None and w.status.canary.model_version == "iris-v3"
    assert w.condition("Stalled") is None


def test_raising_retry_tries_the_rejected_version_again() -> None:
    w = start_canary(serving())
    w.wait(31).tick(w.measure(0.3))
    w.edit(predictor={"replicas": 5})
    w.tick()
    assert w.status.canary is None, "an unrelated spec change does not retry a rejected version"
    w.edit(model={"modelVersion": "iris-v2", "retry": 1})
    w.tick()
    assert w.status.rejected == [] and w.status.rejections == []
    w.tick()
    assert w.status.canary is not None and w.status.canary.model_version == "iris-v2"


def test_reverting_git_to_the_stable_version_is_healthy() -> None:
    w = start_canary(serving())
    w.wait(31).tick(w.measure(0.3))
    w.edit(model={"modelVersion": "iris-v1"})
    w.desired = record("iris-v1")
    w.tick()
    assert w.status.phase == "Healthy" and w.condition("Stalled") is None and w.status.rejected == ["iris-v2"]


def test_inconclusive_for_lack_of_traffic_pauses_until_promoted() -> None:
    w = start_canary(serving())
    w.tick(after=1)
    w.wait(30).tick(w.measure(0.0, requests=3))
    assert w.status.phase == "Paused" and w.condition("Reconciling") == ("True", "AnalysisInconclusive")
    step = w.status.current_step
    for _ in range(5):
        w.wait(60).tick()
    assert w.status.current_step == step and w.status.canary is not None, "never a pass"
    w.annotations[PROMOTE] = "1"
    w.tick()
    assert w.status.stable is not None and w.status.stable.model_version == "iris-v2"
    assert w.status.handled.promote == "1"


@pytest.mark.parametrize(("errors", "rolled_back"), [(4, False), (5, True)], ids=["up-to-limit", "past-limit"])
def test_provider_errors_up_to_and_past_the_limit(errors: int, rolled_back: bool) -> None:
    w = start_canary(serving())
    w.tick(after=1)
    for _ in range(errors):
        w.wait(30).tick(w.measure(None, error="connection refused"))
    assert (w.status.canary is None) is rolled_back
    if rolled_back:
        assert "Error" in w.status.rejections[0].message
        assert w.status.rejections[0].measurements[0].message == "connection refused"


def test_pause_from_git_holds_the_step_and_resumes() -> None:
    w = start_canary(serving())
    w.tick(after=1)
    assert w.status.current_step == 1
    w.edit(rollout={"paused": True})
    w.tick(after=120)
    assert w.status.current_step == 1 and w.status.phase == "Paused"
    assert w.condition("Reconciling") == ("True", "Paused")
    w.edit(rollout={"paused": False})
    w.tick(after=1)
    assert w.status.current_step == 2


def test_abort_rolls_back_once_even_after_a_restart() -> None:
    w = start_canary(serving())
    w.tick(after=1)
    w.annotations[ABORT] = "2026-03-01T12:00"
    w.tick()
    assert w.status.canary is None and w.condition("Stalled") == ("True", "Aborted")
    assert w.status.history[0].outcome == "Aborted" and w.status.handled.abort == "2026-03-01T12:00"
    w.edit(model={"modelVersion": "iris-v3"})
    w.desired = record("iris-v3", created="2026-03-03T00:00:00Z")
    w.tick()
    w.tick(after=1)
    assert w.status.canary is not None and w.status.canary.model_version == "iris-v3", "abort was not re-acted on"


def test_pause_until_promoted() -> None:
    w = serving(rollout={"steps": [{"setWeight": 10}, {"pause": {}}, {"setWeight": 100}]})
    start_canary(w)
    w.tick(after=1)
    w.tick(after=3600)
    assert w.status.current_step == 1 and w.condition("Reconciling") == ("True", "AwaitingPromotion")
    w.annotations[PROMOTE] = "yes"
    w.tick()
    assert w.status.stable is not None and w.status.stable.model_version == "iris-v2"


def test_promote_annotation_without_a_canary_is_consumed() -> None:
    w = serving()
    w.annotations[PROMOTE] = "early"
    w.tick()
    assert w.status.handled.promote == "early"
    start_canary(w)
    w.tick(after=1)
    assert w.status.canary is not None, "an old promote value does not promote a later canary"


def test_offline_gate_refuses_the_candidate_with_no_traffic_moved() -> None:
    w = serving()
    w.edit(model={"gates": [{"metric": "accuracy", "threshold": {"min": 0.9}}]})
    start_canary(w, metrics={"accuracy": 0.8})
    assert w.status.canary is None and w.status.canary_weight == 0
    assert w.condition("Stalled") == ("True", "GateFailed") and w.status.rejected == ["iris-v2"]
    assert "accuracy=0.8" in w.status.rejections[0].message


def test_regression_gate_against_stable() -> None:
    w = serving()
    w.edit(model={"gates": [{"metric": "accuracy", "maxRegression": 0.01}]})
    w.stable_metrics = {"accuracy": 0.95}
    start_canary(w, metrics={"accuracy": 0.90})
    assert w.status.rejections[0].reason == "GateFailed"


def test_crash_looping_canary_fails_at_once() -> None:
    w = start_canary(serving())
    w.canary_failing = "pod iris-v2-x: CrashLoopBackOff (restarts 3)"
    w.tick(after=1)
    assert w.status.canary is None and w.status.rejections[0].measurements[0].metric == "canaryPods"


def test_canary_never_ready_fails_on_the_ready_deadline() -> None:
    w = serving(rollout={**STEPS, "readyDeadline": "2m", "progressDeadline": "10m"})
    w.canary_ready_override = 0
    start_canary(w)
    w.tick(after=119)
    assert w.status.canary is not None
    w.tick(after=2)
    assert w.status.canary is None and "not ready within 2m" in w.status.rejections[0].message


def test_tracked_model_picks_up_new_versions_and_supersedes_a_running_canary() -> None:
    w = World.of(model={"track": {"model": "iris"}}, rollout=STEPS, analysis=ANALYSIS)
    w.desired = record("iris-v1")
    w.tick()
    w.desired = record("iris-v2", created="2026-03-02T00:00:00Z")
    w.tick()
    assert w.status.canary is not None and w.status.canary.model_version == "iris-v2"
    w.desired = record("iris-v3", created="2026-03-03T00:00:00Z")
    w.tick(after=1)
    assert w.status.canary is None and w.status.history[0].outcome == "Superseded"
    w.tick()
    assert w.status.canary is not None and w.status.canary.model_version == "iris-v3"


def test_tracked_rollback_is_stalled_until_the_next_version() -> None:
    w = World.of(model={"track": {"model": "iris"}}, rollout=STEPS, analysis=ANALYSIS)
    w.desired = record("iris-v1")
    w.tick()
    w.desired = record("iris-v2", created="2026-03-02T00:00:00Z")
    w.tick()
    w.tick(after=1)
    w.wait(30).tick(w.measure(0.9))
    assert w.condition("Stalled") == ("True", "RolledBack")
    w.desired = record("iris-v1")  # the candidate selection skips the rejected version
    w.tick()
    assert w.condition("Stalled") == ("True", "RolledBack")
    w.desired = record("iris-v3", created="2026-03-03T00:00:00Z")
    w.tick()
    assert w.status.canary is not None and w.condition("Stalled") is None


def full_rollout_snapshots() -> list[World]:
    """Every intermediate world of a rollout with analysis, to restart from."""
    w = start_canary(serving())
    snapshots = [w.copy()]
    for _ in range(12):
        w.wait(30).tick(w.measure(0.01))
        snapshots.append(w.copy())
        if w.status.canary is None:
            break
    return snapshots


@pytest.mark.parametrize("k", range(len(full_rollout_snapshots())), ids=lambda k: f"restart-after-tick-{k}")
def test_restart_at_any_tick_changes_nothing(k: int) -> None:
    """A new operator process reading the stored status at the same instant neither resets the step,
    moves traffic back, nor counts a measurement twice: deciding again is a no-op with no events."""
    w = full_rollout_snapshots()[k]
    assert w.last_observed is not None
    again = decide_rollout(w.spec, w.status, w.last_observed, w.now)  # the same world, the same measurement
    assert again.status.to_wire() == w.status.to_wire()
    assert again.events == []


@pytest.mark.parametrize(
    ("records", "tags", "rejected", "expected"),
    [
        ([record("iris-v1"), record("iris-v2", created="2026-03-02T00:00:00Z")], {}, [], "iris-v2"),
        ([record("iris-v1"), record("iris-v2", created="2026-03-02T00:00:00Z")], {}, ["iris-v2"], "iris-v1"),
        ([record("iris-v2", created="2026-03-02T00:00:00Z", phase="Pending"), record("iris-v1")], {}, [], "iris-v1"),
        ([record("iris-v2", created="2026-03-02T00:00:00Z", stalled=True)], {}, [], None),
        ([record("iris-v2", created="2026-03-02T00:00:00Z", deleting=True)], {}, [], None),
        ([record("iris-v2", tags={"env": "prod"}), record("iris-v3", created="2026-03-09T00:00:00Z")],
         {"env": "prod"}, [], "iris-v2"),
        ([], {}, [], None),
    ],
    ids=["newest", "skips-rejected", "skips-pending", "skips-stalled", "skips-deleting", "tags-match", "empty"],
)
def test_select_candidate(records: list[Any], tags: dict[str, str], rejected: list[str], expected: str | None) -> None:
    found = select_candidate(records, "iris", tags=tags, rejected=rejected)
    assert (found.name if found else None) == expected


def test_settled_only_when_nothing_is_left_to_do() -> None:
    w = serving()
    assert is_settled(w.spec, w.status, 1, "iris-v1")
    assert not is_settled(w.spec, w.status, 2, "iris-v1"), "a new generation"
    assert not is_settled(w.spec, w.status, 1, "iris-v2"), "a new version"
    start_canary(w)
    assert not is_settled(w.spec, w.status, w.generation, "iris-v2")
    w.wait(31).tick(w.measure(0.9))
    assert not is_settled(w.spec, w.status, w.generation, "iris-v2"), "the canary is still being scaled down"
    w.tick(after=60)
    assert is_settled(w.spec, w.status, w.generation, "iris-v2"), "stalled on a rejected version"


def test_pinned_version_not_yet_available_is_not_ready() -> None:
    w = serving()
    w.edit(model={"modelVersion": "iris-v9"})
    w.desired = None
    w.tick()
    assert w.condition("Ready") == ("False", "WaitingForModelVersion") and w.status.phase == "Progressing"
    assert "waiting for iris-v9" in (w.status.message or "")
