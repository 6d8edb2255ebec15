"""decide_modelversion through the controller's pure half (parse, observe from indexes, decide)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import kopf
import pytest

from modelyard.config import Settings
from modelyard.controller.common import status_patch
from modelyard.controller.modelversion import RegistryIndexes, calculate_decision
from modelyard.core.actions import Decision, EmitEvent, Patch
from modelyard.core.modelversion import (
    KOPF_FINALIZER,
    PROTECTION_FINALIZER,
    calculate_protection_patch,
    calculate_status_write,
    is_settled,
    releases,
    should_add_protection,
    should_wait_for_kopf,
)
from modelyard.core.registry import record_from_body
from modelyard.core.registry_usage import usages_from_inferenceservice
from modelyard.handlers.startup import configure_kopf
from tests.unit.registry.helpers import DIGEST, OTHER_DIGEST, isvc_body, mv_body

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def indexes(versions: list[dict[str, Any]], isvcs: list[dict[str, Any]] = ()) -> RegistryIndexes:  # type: ignore[assignment]
    by_model: dict[Any, list[Any]] = defaultdict(list)
    for b in versions:
        r = record_from_body(b)
        if r is not None:
            by_model[(r.namespace, r.model)].append(r)
    usages: dict[Any, list[Any]] = defaultdict(list)
    for i in isvcs:
        for mv, u in usages_from_inferenceservice(i).items():
            usages[("ns", mv)].append(u)
    return RegistryIndexes(by_model, usages, {}, {})


def decide(body: dict[str, Any], siblings: list[dict[str, Any]] = (), isvcs: list[dict[str, Any]] = (),  # type: ignore[assignment]
           now: datetime = NOW) -> Decision:
    return calculate_decision(body, indexes([body, *siblings], list(isvcs)), now)


def settle(body: dict[str, Any], *args: Any) -> dict[str, Any]:
    """Apply the decision's status to the body (as the API would)."""
    body["status"] = decide(body, *args).status
    return body


def conds(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status.get("conditions", [])}


def events(d: Decision) -> list[str]:
    return [a.reason for a in d.actions if isinstance(a, EmitEvent)]


def serving(mv: str, role: str = "stable", **extra: Any) -> dict[str, Any]:
    return isvc_body(status={role: {"modelVersion": mv, **extra}})


def test_new_version_is_protected_registered_and_ready() -> None:
    d = decide(mv_body(finalizers=[]))
    assert d.status["phase"] == "Ready"
    assert conds(d.status) == {"Ready": ("True", "Registered"), "ArtifactVerified": ("Unknown", "NotYetLoaded")}
    assert d.status["observedGeneration"] == 1 and d.status["headlineMetric"] == "accuracy=0.95"
    assert [a for a in d.actions if isinstance(a, Patch)] == []  # the controller adds the finalizer before the status
    assert should_add_protection(mv_body(finalizers=[])["metadata"])
    assert events(d) == ["Registered"]


@pytest.mark.parametrize(
    ("meta", "expected"),
    [({"resourceVersion": "9", "finalizers": [KOPF_FINALIZER]}, {"finalizers": [KOPF_FINALIZER, PROTECTION_FINALIZER],
                                                                 "resourceVersion": "9"}),
     ({"resourceVersion": "9", "finalizers": ["user/x", KOPF_FINALIZER]},
      {"finalizers": ["user/x", KOPF_FINALIZER, PROTECTION_FINALIZER], "resourceVersion": "9"}),
     ({"finalizers": [KOPF_FINALIZER]}, {"finalizers": [KOPF_FINALIZER, PROTECTION_FINALIZER]}),
     ({"resourceVersion": "7"}, None),
     ({"resourceVersion": "7", "finalizers": [KOPF_FINALIZER, PROTECTION_FINALIZER]}, None),
     ({"resourceVersion": "7", "finalizers": [KOPF_FINALIZER], "deletionTimestamp": "2026-02-01T00:00:00Z"}, None)],
    ids=["after-kopfs-own-with-the-version-read", "keeps-every-other-finalizer", "no-version-known-no-precondition",
         "kopf-has-not-taken-it-in-yet", "already-protected", "never-while-deleting"],
)
def test_protection_patch_keeps_every_finalizer_and_the_version_it_read(
        meta: dict[str, Any], expected: dict[str, Any] | None) -> None:
    patch = calculate_protection_patch(meta)
    assert (patch["metadata"] if patch is not None else None) == expected


@pytest.mark.parametrize(
    ("meta", "wait"),
    [({}, True), ({"finalizers": [PROTECTION_FINALIZER]}, True), ({"finalizers": [KOPF_FINALIZER]}, False),
     ({"deletionTimestamp": "2026-02-01T00:00:00Z"}, False)],
    ids=["new-object", "ours-without-kopfs", "taken-in", "deleting-is-always-ours-to-release"],
)
def test_the_timer_waits_until_kopf_has_taken_the_object_in(meta: dict[str, Any], wait: bool) -> None:
    assert should_wait_for_kopf(meta) is wait


def test_kopfs_finalizer_is_the_one_startup_configures() -> None:
    settings = kopf.OperatorSettings()
    configure_kopf(settings, Settings.from_env())
    assert settings.persistence.finalizer == KOPF_FINALIZER


@pytest.mark.parametrize(
    ("meta", "precondition"),
    [({"resourceVersion": "12"}, {"resourceVersion": "12"}), ({}, {})],
    ids=["decided-from-a-version", "no-version-known"],
)
def test_status_write_carries_the_version_it_was_decided_from(
        meta: dict[str, Any], precondition: dict[str, Any]) -> None:
    assert calculate_status_write(meta, {"phase": "Ready"}) == {"metadata": precondition, "status": {"phase": "Ready"}}


@pytest.mark.parametrize(
    ("siblings", "isvcs"),
    [([], []), ([], [serving("iris-v1")]), ([mv_body("a", created="2025-01-01T00:00:00Z")], []),
     ([], [isvc_body(status={"rejected": ["iris-v1"]})])],
    ids=["registered", "serving", "duplicate", "rejected"],
)
def test_second_pass_writes_nothing_and_says_nothing(
    siblings: list[dict[str, Any]], isvcs: list[dict[str, Any]]
) -> None:
    body = settle(mv_body(), siblings, isvcs)
    again = decide(body, siblings, isvcs, NOW + timedelta(minutes=5))
    assert status_patch(body, again.status) == {}
    assert again.actions == []


def test_duplicate_version_is_stalled_naming_the_original() -> None:
    d = decide(mv_body("late"), [mv_body("early", created="2025-12-31T00:00:00Z")])
    assert d.status["phase"] == "Pending"
    assert conds(d.status)["Stalled"] == ("True", "DuplicateVersion")
    assert "early" in d.status["message"] and events(d) == ["DuplicateVersion"]


def test_served_version_lists_its_services() -> None:
    d = decide(mv_body(), isvcs=[serving("iris-v1"), isvc_body("beta", status={"canary": {"modelVersion": "iris-v1"}})])
    assert d.status["servedBy"] == [{"inferenceService": "beta", "role": "canary"},
                                    {"inferenceService": "web", "role": "stable"}]
    assert d.status["servedBySummary"] == "beta (canary), web (stable)"
    assert d.status["heldBy"] == ["beta", "web"]
    assert conds(d.status)["Ready"] == ("True", "Serving")


def test_rejection_is_kept_after_the_service_is_deleted() -> None:
    rejecting = isvc_body(status={"rejected": ["iris-v1"], "history": [
        {"modelVersion": "iris-v1", "outcome": "RolledBack", "message": "errorRate", "time": "2026-02-01T00:00:00Z"}]})
    body = settle(mv_body(), [], [rejecting])
    assert body["status"]["phase"] == "Rejected" and conds(body["status"])["Stalled"] == ("True", "Rejected")
    gone = decide(body, [], [])
    assert gone.status["rejections"] == body["status"]["rejections"]
    assert gone.status["rejections"][0]["reason"] == "RolledBack"
    assert status_patch(body, gone.status) == {}


def test_rejected_but_served_elsewhere_stays_ready() -> None:
    d = decide(mv_body(), isvcs=[isvc_body("a", status={"rejected": ["iris-v1"]}), serving("iris-v1")])
    assert d.status["phase"] == "Ready" and len(d.status["rejections"]) == 1
    assert events(d) == ["Serving", "RejectedBy"]


def versions(n: int, keep_last: int) -> list[dict[str, Any]]:
    out = [mv_body(f"iris-v{i}", version=f"v{i}", created=f"2026-01-0{i}T00:00:00Z") for i in range(1, n + 1)]
    out[-1]["spec"]["retention"] = {"keepLast": keep_last}
    return out


def test_retention_retires_the_oldest_unless_served() -> None:
    bodies = versions(4, 2)
    assert [decide(b, bodies).status["phase"] for b in bodies] == ["Retired", "Retired", "Ready", "Ready"]
    served = [decide(b, bodies, [serving("iris-v1")]).status["phase"] for b in bodies]
    assert served == ["Ready", "Retired", "Ready", "Ready"]


def test_retired_is_sticky_and_settled() -> None:
    bodies = versions(3, 1)
    old = settle(bodies[0], bodies)
    assert old["status"]["phase"] == "Retired" and is_settled(old)
    assert decide(old, []).status["phase"] == "Retired"


def test_deletion_is_held_while_served_and_says_why() -> None:
    body = settle(mv_body(), [], [serving("iris-v1")])
    body["metadata"]["deletionTimestamp"] = "2026-03-01T00:00:00Z"
    d = decide(body, [], [serving("iris-v1")])
    assert conds(d.status)["DeletionBlocked"] == ("True", "InUse")
    assert "web" in d.status["message"] and events(d) == ["DeletionBlocked"]
    assert not releases(d)
    body["status"] = d.status
    assert decide(body, [], [serving("iris-v1")]).actions == []


@pytest.mark.parametrize("holder", [
    isvc_body(status={"stable": {"modelVersion": "iris-v2"}, "retiring": [{"modelVersion": "iris-v1"}],
                      "history": [{"modelVersion": "iris-v2", "outcome": "Promoted"},
                                  {"modelVersion": "iris-v1", "outcome": "Promoted"}]}),
    serving("iris-v1", "canary"),
], ids=["rollback-target", "canary"])
def test_rollback_target_and_canary_hold_deletion(holder: dict[str, Any]) -> None:
    body = mv_body(deleting=True)
    assert not releases(decide(body, [], [holder]))


def test_deletion_is_released_once_nothing_holds_it() -> None:
    body = mv_body(deleting=True, finalizers=["kopf.zalando.org/x", "modelyard.io/protection"])
    d = decide(body, [], [isvc_body(status={"stable": {"modelVersion": "iris-v2"}, "rejected": ["iris-v1"]})])
    assert releases(d)
    patch = next(a for a in d.actions if isinstance(a, Patch))
    assert patch.patch["metadata"]["finalizers"] == ["kopf.zalando.org/x"]
    assert "DeletionReleased" in events(d)


@pytest.mark.parametrize(
    ("isvcs", "before", "expected"),
    [
        ([serving("iris-v1", digest=DIGEST, verified=True)], None, ("True", "DigestVerified")),
        ([serving("iris-v1", digest=OTHER_DIGEST, verified=True)], None, ("False", "DigestMismatch")),
        ([serving("iris-v1", digest=DIGEST)], None, ("Unknown", "NotYetLoaded")),
        ([], [serving("iris-v1", digest=DIGEST, verified=True)], ("True", "DigestVerified")),
    ],
    ids=["verified", "mismatch", "served-not-verified", "stays-verified-after-service-moves-on"],
)
def test_artifact_verified(isvcs: list[dict[str, Any]], before: list[dict[str, Any]] | None,
                           expected: tuple[str, str]) -> None:
    body = settle(mv_body(), [], before) if before is not None else mv_body()
    assert conds(decide(body, [], isvcs).status)["ArtifactVerified"] == expected


def test_invalid_spec_is_stalled_naming_the_field() -> None:
    body = mv_body()
    body["spec"]["artifact"]["uri"] = "ftp://nope"
    d = decide(body)
    assert d.status["phase"] == "Pending" and conds(d.status)["Stalled"] == ("True", "InvalidSpec")
    assert "spec.artifact.uri" in d.status["message"]


def test_headline_metric_from_annotation() -> None:
    body = mv_body(annotations={"modelyard.io/headline-metric": "f1"})
    body["spec"]["metrics"] = {"accuracy": 0.9, "f1": 0.875}
    assert decide(body).status["headlineMetric"] == "f1=0.875"


def _settled_case(**change: Any) -> dict[str, Any]:
    body = mv_body(**{k: v for k, v in change.items() if k in ("finalizers", "deleting")})
    body["status"] = {"phase": change.get("phase", "Ready"), "observedGeneration": change.get("observed", 1)}
    if change.get("no_status"):
        body.pop("status")
    return body


@pytest.mark.parametrize(
    ("body", "settled"),
    [(_settled_case(), True), (_settled_case(phase="Rejected"), True), (_settled_case(phase="Pending"), True),
     (_settled_case(phase="Retired"), True), (_settled_case(no_status=True), False),
     (_settled_case(observed=0), False), (_settled_case(finalizers=[]), False),
     (_settled_case(deleting=True), False)],
    ids=["ready", "rejected", "duplicate-or-invalid", "retired", "never-decided", "older-generation",
         "finalizer-missing", "deleting"],
)
def test_is_settled_for_any_phase_once_decided_and_protected(body: dict[str, Any], settled: bool) -> None:
    assert is_settled(body) is settled


def test_a_ready_version_settles_after_its_first_decision() -> None:
    body = settle(mv_body(), [], [])
    assert body["status"]["phase"] == "Ready" and is_settled(body)
