"""Reading an InferenceService's status into Usages: defensive, never raising."""

from __future__ import annotations

from typing import Any

import pytest

from modelyard.core.registry_usage import (
    Usage,
    calculate_usage_signal,
    recorded_holders,
    usages_from_inferenceservice,
)
from tests.unit.registry.helpers import DIGEST, isvc_body


def roles(u: dict[str, Usage]) -> dict[str, list[str]]:
    return {k: sorted(v.roles) for k, v in u.items()}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({}, {}),
        ({"stable": {"modelVersion": "v1"}}, {"v1": ["stable"]}),
        ({"stable": {"modelVersion": "v1"}, "canary": {"modelVersion": "v2"}}, {"v1": ["stable"], "v2": ["canary"]}),
        ({"stable": "v1", "retiring": [{"modelVersion": "v0"}],
          "history": [{"modelVersion": "v1", "outcome": "Promoted"}, {"modelVersion": "v0", "outcome": "Promoted"}]},
         {"v0": ["rollback"], "v1": ["stable"]}),
        ({"stable": "v1", "retiring": [{"modelVersion": "v0"}]}, {"v0": ["rollback"], "v1": ["stable"]}),
        ({"stable": "v1", "retiring": [{"modelVersion": "v2"}],
          "history": [{"modelVersion": "v2", "outcome": "Superseded"}, {"modelVersion": "v2", "outcome": "Promoted"}]},
         {"v1": ["stable"]}),
        ({"stable": "v1", "retiring": [{"modelVersion": "v2"}], "rejected": ["v2"],
          "history": [{"modelVersion": "v2", "outcome": "RolledBack"}]}, {"v1": ["stable"], "v2": []}),
        ({"stable": "v1", "previousStable": {"modelVersion": "v0"}}, {"v1": ["stable"]}),
        ({"stable": {"modelVersion": "v1"}, "canary": {"modelVersion": "v1"}}, {"v1": ["canary", "stable"]}),
        ({"rejected": ["v9"]}, {"v9": []}),
        ({"stable": None, "canary": 3, "rejected": "v9", "history": {"x": 1}, "rejections": [1, None]}, {}),
        ({"stable": {"digest": DIGEST}}, {}),
    ],
    ids=["empty", "stable", "stable-and-canary", "retiring-old-stable-is-rollback-target",
         "retiring-without-history-conservatively-held", "retiring-superseded-canary-not-held",
         "retiring-rolled-back-canary-not-held", "previousStable-is-not-written-by-rollout", "same-version-twice",
         "rejected-only", "garbage-everywhere", "entry-without-name"],
)
def test_roles(status: dict[str, Any], expected: dict[str, list[str]]) -> None:
    assert roles(usages_from_inferenceservice(isvc_body(status=status))) == expected


def test_deleting_service_holds_nothing_but_its_rejections_stay() -> None:
    body = isvc_body(status={"stable": {"modelVersion": "v1"}, "rejected": ["v2"]}, deleting=True)
    got = usages_from_inferenceservice(body)
    assert set(got) == {"v2"}
    assert not got["v2"].holds and got["v2"].rejection is not None


@pytest.mark.parametrize(
    ("entry", "verified"),
    [
        ({"modelVersion": "v1", "digest": DIGEST, "verified": True}, {DIGEST}),
        ({"modelVersion": "v1", "digest": DIGEST}, set()),
        ({"modelVersion": "v1", "digest": DIGEST, "verified": "yes"}, set()),
        ({"modelVersion": "v1", "verifiedDigest": DIGEST}, {DIGEST}),
    ],
    ids=["verified-flag", "digest-alone-is-not-verification", "truthy-string-ignored", "verified-digest"],
)
def test_verified_digest(entry: dict[str, Any], verified: set[str]) -> None:
    got = usages_from_inferenceservice(isvc_body(status={"stable": entry}))
    assert got["v1"].verified_digests == verified


@pytest.mark.parametrize(
    ("status", "reason", "message", "time", "measurements"),
    [
        ({"rejected": ["v2"]}, "Rejected", "", None, {}),
        ({"rejected": ["v2"], "history": [
            {"modelVersion": "v2", "outcome": "Promoted", "time": "2026-01-01T00:00:00Z"},
            {"modelVersion": "v2", "outcome": "RolledBack", "message": "errorRate 0.3 > 0.05",
             "time": "2026-01-02T00:00:00Z"}]},
         "RolledBack", "errorRate 0.3 > 0.05", "2026-01-02T00:00:00Z", {}),
        ({"rejections": [{"modelVersion": "v2", "reason": "GateFailed", "time": "2026-01-03T00:00:00Z",
                          "measurements": [{"metric": "accuracy", "value": 0.5}, {"bad": 1}]}]},
         "GateFailed", "", "2026-01-03T00:00:00Z", {"accuracy": 0.5}),
        ({"rejections": [{"modelVersion": "v2", "reason": "analysis failed!", "measurements": {"p99": 2.5,
                                                                                             "nested": {}}}]},
         "Analysisfailed", "", None, {"p99": 2.5}),
    ],
    ids=["name-only", "from-history", "from-rejections-list", "odd-reason-sanitised"],
)
def test_rejection_details(status: dict[str, Any], reason: str, message: str, time: str | None,
                           measurements: dict[str, Any]) -> None:
    info = usages_from_inferenceservice(isvc_body(status=status))["v2"].rejection
    assert info is not None
    assert (info.reason, info.message, info.time, dict(info.measurements)) == (reason, message, time, measurements)


def test_recorded_holders_ignores_garbage() -> None:
    assert recorded_holders({"status": {"heldBy": ["a", 3], "servedBy": [{"inferenceService": "b"}, "x"]}}) == [
        "a", "b"]
    assert recorded_holders({}) == []


SERVING = {"metadata": {"name": "web", "generation": 3},
           "status": {"stable": {"modelVersion": "v1", "digest": "sha256:ab", "verified": True}, "phase": "Healthy"}}


@pytest.mark.parametrize(("after", "event", "nudges"), [
    ({**SERVING, "status": {**SERVING["status"], "phase": "Progressing", "message": "x"}}, "MODIFIED", False),
    ({**SERVING, "metadata": {"name": "web", "generation": 4}}, "MODIFIED", False),
    ({**SERVING, "status": {**SERVING["status"], "canary": {"modelVersion": "v2"}}}, "MODIFIED", True),
    ({**SERVING, "status": {**SERVING["status"], "rejected": ["v2"]}}, "MODIFIED", True),
    (SERVING, "DELETED", True),
], ids=["own-phase-and-message", "spec-change-alone", "new-canary", "rejection", "deleted"])
def test_an_inferenceservice_event_nudges_versions_only_when_its_usage_changed(
        after: dict[str, Any], event: str, nudges: bool) -> None:
    before = calculate_usage_signal(SERVING, "ADDED")
    now = calculate_usage_signal(after, event)
    assert (now is None or now != before) is nudges
