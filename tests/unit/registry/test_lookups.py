"""select_latest, duplicates and retention: the pure registry lookups."""

from __future__ import annotations

import pytest

from modelyard.core.registry import (
    VersionRecord,
    calculate_keep_last,
    calculate_sibling_nudges,
    calculate_slim_body,
    find_original,
    newest_first,
    record_from_body,
    select_latest,
    should_retire,
)
from tests.unit.registry.helpers import mv_body, rec, t

MIXED = [
    rec("v1", t(1)), rec("v2", t(2)), rec("v3", t(3), "Rejected", stalled=True), rec("v4", t(4), "Retired"),
    rec("v5", t(5), None), rec("v6", t(6), deleting=True), rec("v7", t(7), "Pending", stalled=True),
    rec("o9", t(9), model="other"), rec("v2b", t(2), tags={"stage": "prod"}),
]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "v3"),
        ({"rejected": {"v3"}}, "v2b"),
        ({"rejected": {"v3", "v2b"}}, "v2"),
        ({"rejected": {"v3", "v2b", "v2"}}, "v1"),
        ({"tags": {"stage": "prod"}}, "v2b"),
        ({"tags": {"stage": "dev"}}, None),
        ({"where": lambda r: r.name == "v1"}, "v1"),
        ({"rejected": {"v1", "v2", "v2b", "v3"}}, None),
    ],
    ids=["rejected-by-another-service-still-a-candidate", "rejected-by-this-service-ties-by-name", "two-rejected",
         "three-rejected", "tags-match", "tags-miss", "extra-predicate", "nothing-left"],
)
def test_select_latest_skips_own_rejections_retired_pending_stalled_deleting(
        kwargs: dict, expected: str | None) -> None:
    got = select_latest(MIXED, "iris", **kwargs)
    assert (got.name if got else None) == expected


def test_select_latest_among_thousands_matches_a_sort() -> None:
    records = [rec(f"v{i}", f"2026-01-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
                   "Ready" if i % 7 else "Rejected") for i in range(5000)]
    rejected = {r.name for r in records[-50:]}
    expected = next(r for r in newest_first(records) if r.name not in rejected)
    assert select_latest(records, "iris", rejected=rejected) == expected


@pytest.mark.parametrize(
    ("records", "me", "original"),
    [
        ([rec("a", t(1), version="v1"), rec("b", t(2), version="v1")], "b", "a"),
        ([rec("a", t(1), version="v1"), rec("b", t(2), version="v1")], "a", None),
        ([rec("b", t(1), version="v1"), rec("a", t(1), version="v1")], "b", "a"),
        ([rec("a", t(1), version="v1"), rec("b", t(2), version="v2")], "b", None),
        ([rec("b", t(2), version="v1")], "b", None),
    ],
    ids=["later-is-duplicate", "earlier-is-original", "same-second-name-decides", "other-version", "alone"],
)
def test_find_original(records: list[VersionRecord], me: str, original: str | None) -> None:
    mine = next(r for r in records if r.name == me)
    found = find_original(mine, records)
    assert (found.name if found else None) == original


def keep(n: int | None, *names_days: tuple[str, int]) -> list[VersionRecord]:
    *older, newest = names_days
    return [rec(n_, t(d)) for n_, d in older] + [rec(newest[0], t(newest[1]), keep_last=n)]


@pytest.mark.parametrize(
    ("records", "protected", "retired"),
    [
        (keep(2, ("v1", 1), ("v2", 2), ("v3", 3)), set(), {"v1"}),
        (keep(3, ("v1", 1), ("v2", 2), ("v3", 3)), set(), set()),
        (keep(None, ("v1", 1), ("v2", 2), ("v3", 3)), set(), set()),
        (keep(1, ("v1", 1), ("v2", 2), ("v3", 3)), {"v1"}, {"v2"}),
        ([rec("v1", t(1), keep_last=1), rec("v2", t(2)), rec("v3", t(3))], set(), set()),
        ([rec("v1", t(1)), rec("v2", t(2)), rec("dup", t(3), version="v1"), rec("v3", t(4), keep_last=2)],
         set(), {"v1"}),
        ([rec("v1", t(1)), rec("v2", t(2)), rec("v3", t(3), keep_last=2, deleting=True)], set(), set()),
    ],
    ids=["keep-2-of-3", "keep-all", "no-policy", "protected-kept-and-counted", "only-newest-policy-applies",
         "duplicates-neither-count-nor-retire", "deleting-newest-not-counted"],
)
def test_retention(records: list[VersionRecord], protected: set[str], retired: set[str]) -> None:
    got = {r.name for r in records if should_retire(r, records, protected=r.name in protected)}
    assert got == retired


def test_keep_last_comes_from_the_newest_version() -> None:
    assert calculate_keep_last([rec("v1", t(1), keep_last=1), rec("v2", t(2), keep_last=5)]) == 5
    assert calculate_keep_last([]) is None


@pytest.mark.parametrize(
    ("retention", "keep_last"),
    [(None, None), ({}, 10), ({"keepLast": 3}, 3)],
    ids=["no-policy", "default", "explicit"],
)
def test_record_reads_retention(retention: dict | None, keep_last: int | None) -> None:
    body = mv_body()
    if retention is not None:
        body["spec"]["retention"] = retention
    record = record_from_body(body)
    assert record is not None and record.keep_last == keep_last


@pytest.mark.parametrize(
    ("records", "changed", "expected"),
    [
        ([rec("v1", t(1)), rec("v2", t(2))], "v2", []),
        ([rec("v1", t(1)), rec("v2", t(2)), rec("v3", t(3), keep_last=1)], "v3", ["v1", "v2"]),
        ([rec("v1", t(1), "Retired"), rec("v2", t(2)), rec("v3", t(3), keep_last=1)], "v3", ["v2"]),
        ([rec("a", t(1), version="v1"), rec("b", t(2), version="v1")], "b", ["a"]),
        ([rec("b", t(2), version="v1")], "a", ["b"]),
        ([rec("v1", t(1)), rec("v2", t(2), deleting=True), rec("v3", t(3), keep_last=1)], "v3", ["v1"]),
        ([rec("v1", t(1)), rec("v2", t(2), keep_last=2), rec("d", t(3), version="v2")], "d", ["v2"]),
    ],
    ids=["no-policy", "beyond-keep-last", "retired-not-again", "same-version-claimant",
         "original-deleted-claimant-promoted", "deleting-neither-counts-nor-retires", "duplicate-does-not-count"],
)
def test_calculate_sibling_nudges(records: list[VersionRecord], changed: str, expected: list[str]) -> None:
    me = next((r for r in records if r.name == changed), None) or rec(changed, t(1), version="v1")
    assert calculate_sibling_nudges(me, records) == expected


def test_slim_body_keeps_what_a_decision_reads() -> None:
    body = mv_body(annotations={"modelyard.io/headline-metric": "f1", "kopf.zalando.org/last-handled": "{...}"},
                   status={"phase": "Ready", "kopf": {"progress": {}}})
    body["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    slim = calculate_slim_body(body)
    assert slim["metadata"]["annotations"] == {"modelyard.io/headline-metric": "f1"}
    assert "managedFields" not in slim["metadata"] and slim["status"] == {"phase": "Ready"}
    assert slim["spec"] == body["spec"] and slim["metadata"]["resourceVersion"] == "7"
    slim["spec"]["model"] = "changed"
    assert body["spec"]["model"] == "iris"  # a copy
