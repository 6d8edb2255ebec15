"""Who decides a TrainingJob generation its status does not describe yet: the change handler, or the timer.

The create/update/resume handler takes a new generation first, and kopf writes the status it returns in its
own patch once the handler is done. When kopf's patch is refused (a 409 at once; a 5xx or 429 after kopf's
backoffs), kopf logs the error, throttles the object and drops the patch — having already stored its
last-handled annotation, so it never runs the handler again for that change. The timer closes the gap: it
takes the generation over once this process has seen it unobserved for ``grace`` with no change-handler pass
over it finished within that time. The record is in memory and only a hint: after a restart it is empty,
the timer waits one grace, and its fresh read of the object decides.

Worked example (grace 2 s), generation 1 created at t=0, the handler's pass ends at t=0.3:

* t=0.3, kopf's status patch lands: the timer's next read sees observedGeneration=1; not a take-over.
* t=0.3, kopf's status patch is refused: the timer's ticks at t<2.3 wait; the first tick at t>=2.3 reads
  the object afresh, still sees no status for generation 1, and decides and writes it.
* a restart at t=5 before any status: the timer first notes generation 1 at t=5 and takes over at t>=7,
  unless the resume handler's pass finished meanwhile (then it waits from that pass's end).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class PassRecord:
    """What this process knows of an object's passes (per-object memo; empty after a restart)."""

    generation: int | None = None  #: the unobserved generation the times below are about
    since: datetime | None = None  #: when a change-handler pass over it ended, or the timer first saw it
    written: int | None = None  #: the latest generation a timer pass wrote the status of


def should_take_over(record: PassRecord, generation: int | None, observed: int | None, now: datetime,
                     grace: timedelta) -> bool:
    """Whether the timer decides ``generation`` although the status does not describe it yet."""
    if observed == generation or record.written == generation:
        return False  # described (the timer's ordinary pass), or already written by a timer pass
    if record.generation != generation or record.since is None:
        return False  # first seen now: give kopf's patch of the change handler its grace
    return now - record.since >= grace


def calculate_noted(record: PassRecord, generation: int | None, now: datetime) -> PassRecord:
    """The record once the timer has seen ``generation`` unobserved (the first sighting starts the grace)."""
    if record.generation == generation and record.since is not None:
        return record
    return replace(record, generation=generation, since=now)


def calculate_handled(record: PassRecord, generation: int | None, now: datetime) -> PassRecord:
    """The record once a change-handler pass over ``generation`` has ended (its grace starts again)."""
    return replace(record, generation=generation, since=now)


def calculate_written(record: PassRecord, generation: int | None) -> PassRecord:
    """The record once a timer pass wrote the status of ``generation``."""
    return replace(record, written=generation)


def should_handler_skip(record: PassRecord, generation: int | None) -> bool:
    """The change handler leaves a generation a timer pass already wrote (its body may predate that write)."""
    return generation is not None and record.written == generation
