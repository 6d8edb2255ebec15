"""What a TrainingJob pass reports beyond its status: the key of its Event, the outcome of a finished run."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from modelyard.api.trainingjob import TrainingJobStatus, TrainingPhase

TERMINAL = frozenset({TrainingPhase.SUCCEEDED, TrainingPhase.FAILED})


def calculate_event_key(uid: str, old: TrainingJobStatus, reason: str, message: str) -> str:
    """The Event's name suffix: the same transition decided twice from the same status (two passes racing,
    or a pass on a body that lags behind the last write) posts one Event; a later one gets a new key.

    >>> a = calculate_event_key("u1", TrainingJobStatus(), "JobCreated", "created")
    >>> a == calculate_event_key("u1", TrainingJobStatus(), "JobCreated", "created"), len(a)
    (True, 20)
    >>> a == calculate_event_key("u2", TrainingJobStatus(), "JobCreated", "created")
    False
    """
    origin = json.dumps([uid, old.to_wire(), reason, message], sort_keys=True, default=str)
    return hashlib.sha256(origin.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Outcome:
    """A run that just finished: what the operator counts (once, on the status transition it writes)."""

    outcome: str  # succeeded | failed
    duration_seconds: float


def calculate_outcome(old: TrainingJobStatus, new: TrainingJobStatus, created: datetime | None,
                      now: datetime) -> Outcome | None:
    """The run's outcome when this status write moves it into Succeeded or Failed; None otherwise.

    The duration runs from the Job's start (the TrainingJob's creation when it never started) to its
    completion (``now`` when the Job went away without one).
    """
    if old.phase in TERMINAL or new.phase not in TERMINAL:
        return None
    start = new.start_time or created or now
    end = new.completion_time or now
    return Outcome(str(new.phase).lower(), max(0.0, (end - start).total_seconds()))
