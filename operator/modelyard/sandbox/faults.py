"""Fault injection and the request log, programmable by tests at run time.

A :class:`FaultRule` matches requests on HTTP method, verb, group, resource plural, name, subresource
and namespace (``None`` matches anything) and then acts: answer with an error ``status`` (409, 429 with
``Retry-After``, 500, 503...), add a ``delay``, or cut a watch stream after ``drop_watch_after`` events
(0: at once). A rule fires ``times`` times (``None``: forever) with a ``probability`` drawn from a
seeded RNG, so runs are repeatable.

The :class:`RequestLog` records every API request (verb, resource, response code) so tests can assert
"no hot loop" or "zero steady-state writes".
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from modelyard.sandbox.errors import ApiError

JsonDict = dict[str, Any]
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass
class RequestRecord:
    """One API request as the server saw it."""

    method: str
    verb: str
    group: str = ""
    version: str = ""
    plural: str = ""
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    code: int = 0
    at: float = field(default_factory=time.monotonic)
    user_agent: str = ""
    content_type: str = ""  # of the body: tells a merge patch from a JSON patch of the same client
    body_digest: str = ""  # sha256 of the body, 12 hex digits: a retry sends the same bytes, another write not
    body_keys: str = ""  # top-level keys of a JSON object body ("metadata,status"), or "[ops]" for a JSON patch
    injected: bool = False  # answered by a fault rule's error, not by the store (tells an injected 409 from a real one)

    @property
    def is_write(self) -> bool:
        """Whether the request could change state."""
        return self.verb in WRITE_VERBS


@dataclass
class FaultRule:
    """What to match and what to do; see the module docstring."""

    method: str | None = None
    verb: str | None = None
    group: str | None = None
    plural: str | None = None
    name: str | None = None
    subresource: str | None = None
    namespace: str | None = None
    status: int | None = None
    message: str = "injected fault"
    retry_after: int = 1
    delay: float = 0.0
    drop_watch_after: int | None = None
    times: int | None = None
    probability: float = 1.0
    hits: int = 0
    id: int = 0

    def matches(self, record: RequestRecord) -> bool:
        """Whether the request is one this rule is about (ignoring times and probability)."""
        wanted = (
            ("method", record.method),
            ("verb", record.verb),
            ("group", record.group),
            ("plural", record.plural),
            ("name", record.name),
            ("subresource", record.subresource),
            ("namespace", record.namespace),
        )
        return all(getattr(self, attr) in (None, value) for attr, value in wanted)

    def error(self) -> ApiError | None:
        """The error this rule answers with, if any."""
        if self.status is None:
            return None
        headers = {"Retry-After": str(self.retry_after)} if self.status == 429 else {}
        return ApiError(
            self.status,
            self.message,
            headers=headers,
            details={"retryAfterSeconds": self.retry_after} if self.status == 429 else None,
        )


class Faults:
    """The programmable rule list."""

    def __init__(self, seed: int = 0) -> None:
        self.rules: list[FaultRule] = []
        self._rng = random.Random(seed)
        self._next_id = 1

    def add(self, rule: FaultRule | None = None, **kwargs: Any) -> FaultRule:
        """Add a rule (given whole or as keyword arguments); returns it."""
        rule = rule or FaultRule(**kwargs)
        rule.id = self._next_id
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        """Drop one rule."""
        self.rules = [r for r in self.rules if r.id != rule.id]

    def clear(self) -> None:
        """Drop all rules."""
        self.rules.clear()

    def reseed(self, seed: int) -> None:
        """Restart the RNG for probabilistic rules."""
        self._rng = random.Random(seed)

    def fire(self, record: RequestRecord, *, watch: bool = False) -> list[FaultRule]:
        """Rules firing for this request (counting down ``times``); watch-drop rules only if ``watch``."""
        fired = []
        for rule in list(self.rules):
            if (rule.drop_watch_after is not None) != watch or not rule.matches(record):
                continue
            if rule.times is not None and rule.hits >= rule.times:
                continue
            if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                continue
            rule.hits += 1
            fired.append(rule)
        return fired

    def to_json(self) -> list[JsonDict]:
        """The rules as JSON, for the admin endpoint."""
        return [dataclasses.asdict(r) for r in self.rules]


class RequestLog:
    """Every API request, in order (bounded)."""

    def __init__(self, limit: int = 100_000) -> None:
        self.records: list[RequestRecord] = []
        self.limit = limit

    def add(self, record: RequestRecord) -> None:
        """Record a request."""
        self.records.append(record)
        if len(self.records) > self.limit:
            del self.records[: len(self.records) - self.limit]

    def clear(self) -> None:
        """Forget everything."""
        self.records.clear()

    def mark(self) -> int:
        """A position to count from later with ``since=``."""
        return len(self.records)

    def select(self, *, since: int = 0, writes_only: bool = False, **match: object) -> list[RequestRecord]:
        """Records from position ``since`` matching attribute values (``verb="patch"``, ``plural="pods"``)."""
        return [
            r
            for r in self.records[since:]
            if (not writes_only or r.is_write) and all(getattr(r, k) == v for k, v in match.items())
        ]

    def count(self, *, since: int = 0, writes_only: bool = False, **match: object) -> int:
        """How many records match."""
        return len(self.select(since=since, writes_only=writes_only, **match))

    def counts(self, *, since: int = 0, writes_only: bool = False) -> Counter[tuple[str, str, str]]:
        """Counts by (verb, plural, subresource)."""
        return Counter(
            (r.verb, r.plural, r.subresource) for r in self.select(since=since, writes_only=writes_only)
        )
