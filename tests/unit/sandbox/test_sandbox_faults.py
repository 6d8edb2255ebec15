"""Fault rules and the request log."""

from __future__ import annotations

from modelyard.sandbox.faults import FaultRule, Faults, RequestLog, RequestRecord


def rec(verb: str = "patch", plural: str = "widgets", name: str = "w", **kw: str) -> RequestRecord:
    return RequestRecord(method=kw.pop("method", "PATCH"), verb=verb, plural=plural, name=name, **kw)


def test_rule_matches_and_counts_down() -> None:
    faults = Faults()
    rule = faults.add(plural="widgets", verb="patch", status=409, times=2)
    assert [len(faults.fire(rec())) for _ in range(3)] == [1, 1, 0]
    assert rule.hits == 2
    assert faults.fire(rec(plural="pods")) == []


def test_429_carries_retry_after() -> None:
    error = FaultRule(status=429, retry_after=3).error()
    assert error is not None and error.headers == {"Retry-After": "3"} and error.reason == "TooManyRequests"


def test_probability_is_seeded() -> None:
    def run() -> list[int]:
        faults = Faults(seed=42)
        faults.add(status=500, probability=0.5)
        return [len(faults.fire(rec())) for _ in range(20)]

    first = run()
    assert first == run() and 0 < sum(first) < 20


def test_watch_rules_fire_only_for_watches() -> None:
    faults = Faults()
    faults.add(drop_watch_after=0)
    assert faults.fire(rec(verb="watch")) == []
    assert len(faults.fire(rec(verb="watch"), watch=True)) == 1


def test_request_log_counts_writes() -> None:
    log = RequestLog()
    log.add(rec(verb="list", method="GET"))
    mark = log.mark()
    log.add(rec())
    log.add(rec(verb="create", method="POST"))
    assert log.count(writes_only=True) == 2
    assert log.count(since=mark, verb="patch") == 1
    assert log.counts(writes_only=True)[("create", "widgets", "")] == 1
