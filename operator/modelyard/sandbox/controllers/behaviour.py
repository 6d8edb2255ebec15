"""What simulated pods do, programmable by tests: rules matching pods -> an :class:`Outcome`.

Without a rule, a pod behaves like a healthy one: long-running pods (``restartPolicy: Always``, e.g. a
Deployment's) go Running and Ready and stay so; run-to-completion pods (``Never``/``OnFailure``) go
Running, then Succeeded with exit code 0. Tests layer rules on top; the newest matching rule wins::

    behaviours.add(Outcome(exit_code=1, message="boom"), labels={"job-name": "train"}, times=2)
    behaviours.add(Outcome(pending_reason="ErrImagePull"), image="ghcr.io/nope/*")
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Timing:
    """Durations of the simulation, in seconds of real (event loop) time; small so tests stay fast."""

    schedule: float = 0.05  # Pending -> Running
    ready: float = 0.05  # Running -> Ready, for containers with a readiness probe
    run: float = 0.2  # Running -> terminated, for run-to-completion pods without a rule
    crash_backoff: float = 0.2  # CrashLoopBackOff wait before the next restart (doubles, capped)
    crash_backoff_max: float = 2.0


@dataclass(frozen=True)
class Outcome:
    """What a pod's containers do once started.

    ``exit_code`` None runs until deleted; ``run_seconds`` None takes ``Timing.run``. ``ready=False``
    never becomes Ready. ``pending_reason`` keeps the pod Pending with that waiting reason (e.g.
    ``ErrImagePull``); a non-zero exit under ``restartPolicy: Always``/``OnFailure`` crash-loops.
    """

    exit_code: int | None = 0
    run_seconds: float | None = None
    ready: bool = True
    ready_after: float | None = None
    message: str = ""
    reason: str | None = None  # terminated reason; default Completed (0) / Error (non-zero)
    pending_reason: str | None = None
    pending_message: str = ""

    @property
    def terminated_reason(self) -> str:
        if self.reason:
            return self.reason
        return "Completed" if self.exit_code == 0 else "Error"


RUN_FOREVER = Outcome(exit_code=None)
SUCCEED = Outcome(exit_code=0)


def default_outcome(pod: Mapping[str, Any]) -> Outcome:
    """Healthy defaults: long-running for ``restartPolicy: Always``, succeed otherwise."""
    policy = pod.get("spec", {}).get("restartPolicy", "Always")
    return RUN_FOREVER if policy == "Always" else SUCCEED


@dataclass
class Rule:
    """Pods this rule applies to (every given criterion must match) and for how many more pods."""

    outcome: Outcome
    labels: Mapping[str, str] = field(default_factory=dict)
    name: str | None = None  # glob on metadata.name
    namespace: str | None = None
    image: str | None = None  # glob on any container's image
    times: int | None = None  # applies to this many pods, then expires; None: forever
    seq: int = 0

    def matches(self, pod: Mapping[str, Any]) -> bool:
        md = pod.get("metadata", {})
        labels = md.get("labels") or {}
        if any(labels.get(k) != v for k, v in self.labels.items()):
            return False
        if self.name is not None and not fnmatch.fnmatchcase(md.get("name", ""), self.name):
            return False
        if self.namespace is not None and md.get("namespace") != self.namespace:
            return False
        return self.image is None or any(fnmatch.fnmatchcase(c.get("image", ""), self.image)
                                         for c in pod.get("spec", {}).get("containers", []))


class PodBehaviours:
    """The rule registry tests program in-process; thread-safe, consulted once per pod (by uid)."""

    def __init__(self, timing: Timing | None = None) -> None:
        self.timing = timing or Timing()
        self._rules: list[Rule] = []
        self._decided: dict[str, Outcome] = {}
        self._seq = itertools.count()
        self._lock = threading.Lock()

    def add(self, outcome: Outcome, *, labels: Mapping[str, str] | None = None, name: str | None = None,
            namespace: str | None = None, image: str | None = None, times: int | None = None) -> Rule:
        """Add a rule; the newest matching rule wins. Returns it (for :meth:`remove`)."""
        rule = Rule(outcome, dict(labels or {}), name, namespace, image, times, next(self._seq))
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: Rule) -> None:
        with self._lock:
            self._rules = [r for r in self._rules if r is not rule]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._decided.clear()

    def set_timing(self, **changes: float) -> None:
        self.timing = replace(self.timing, **changes)

    def outcome_for(self, pod: Mapping[str, Any]) -> Outcome:
        """The outcome of this pod: decided once per pod uid, so a rule with ``times`` counts pods."""
        uid = pod.get("metadata", {}).get("uid", "")
        with self._lock:
            if uid and uid in self._decided:
                return self._decided[uid]
            outcome = self._match(pod)
            if uid:
                self._decided[uid] = outcome
            return outcome

    def forget(self, uid: str) -> None:
        with self._lock:
            self._decided.pop(uid, None)

    def _match(self, pod: Mapping[str, Any]) -> Outcome:
        for rule in reversed(self._rules):
            if rule.matches(pod):
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                return rule.outcome
        return default_outcome(pod)
