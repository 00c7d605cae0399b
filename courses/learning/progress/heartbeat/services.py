"""Writing a heartbeat: folding the played ranges into the learner's row.

A heartbeat is written by compare-and-swap: the row is read (by the API, in the same
query as the login and the lesson), the beat folded in, and the UPDATE applies only if
the row's revision is still the one read; otherwise it is read again and the beat
re-applied (after a few lost races, under a row lock). Two tabs or a retry racing the
original never lose each other's ranges, and a beat costs one read and one write with
no transaction around them. Everything a beat changes is commutative (the union, the
heat runs) or ordered by the beat's own timestamp (the position), so arrival order
does not matter.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from courses.learning.progress import intervals as iv
from courses.learning.progress import rules
from courses.learning.progress.heartbeat.db import prepared_rowcount
from courses.learning.progress.heartbeat.selectors import BEAT_FIELDS, BeatRow
from courses.learning.progress.rules import ProgressError
from courses.models import Lesson, LessonProgress, lesson_duration_s

__all__ = ["Beat", "BeatResult", "beat_parse", "progress_beat_record", "progress_beat_write"]


@dataclass(frozen=True)
class Beat:
    position_s: float
    ranges: tuple[iv.Interval, ...]
    playback_rate: float = 1.0
    client_ts: int | None = None  # ms since the epoch, the player's clock
    beat_id: str | None = None


@dataclass(frozen=True)
class BeatResult:
    watched_s: float
    watched_percent: float | None
    completed: bool
    position_s: float
    duplicate: bool = False
    # Played ranges beyond what the wall time since the last beat allows: not recorded now,
    # for the player to send again with its next beat (a burst of beats queued offline).
    deferred_ranges: tuple[tuple[float, float], ...] = ()


def _number(value, name: str) -> float:
    # bool is an int in Python; JSON true is not a time.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProgressError(f"{name} must be a number.")
    value = float(value)
    if not math.isfinite(value):
        raise ProgressError(f"{name} must be finite.")
    return value


def beat_parse(payload) -> Beat:
    """A Beat from decoded JSON; raises ProgressError for anything malformed.

    Checks shape and types only; limits that depend on the lesson (its duration)
    and on the learner's history (plausibility) are checked when recording.
    """
    if not isinstance(payload, dict):
        raise ProgressError("The body must be a JSON object.")
    position = _number(payload.get("position_s"), "position_s")
    raw_ranges = payload.get("ranges", [])
    if not isinstance(raw_ranges, list):
        raise ProgressError("ranges must be a list of [start_s, end_s] pairs.")
    if len(raw_ranges) > rules.MAX_RANGES_PER_BEAT:
        raise ProgressError(f"At most {rules.MAX_RANGES_PER_BEAT} ranges per beat.")
    ranges = []
    for item in raw_ranges:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise ProgressError("Each range must be a [start_s, end_s] pair.")
        start, end = _number(item[0], "range start"), _number(item[1], "range end")
        if not start < end:
            raise ProgressError("A range must start before it ends.")
        ranges.append((start, end))
    rate = payload.get("playback_rate", 1.0)
    rate = _number(rate, "playback_rate")
    if not 0 < rate <= rules.max_rate() + 1e-9:
        raise ProgressError(f"playback_rate must be above 0 and at most {rules.max_rate():g}.")
    client_ts = payload.get("client_ts")
    if client_ts is not None:
        client_ts = _number(client_ts, "client_ts")
        if not 0 <= client_ts <= rules.MAX_CLIENT_TS_MS:
            raise ProgressError("client_ts must be milliseconds since the epoch.")
        client_ts = int(client_ts)
    beat_id = payload.get("beat_id")
    if beat_id is not None and (not isinstance(beat_id, str) or not 0 < len(beat_id) <= 64):
        raise ProgressError("beat_id must be a string of 1 to 64 characters.")
    return Beat(
        position_s=position,
        ranges=tuple(ranges),
        playback_rate=rate,
        client_ts=client_ts,
        beat_id=beat_id,
    )


def _result(progress: BeatRow, duration_s: float, *, duplicate: bool = False, deferred=()):
    union = rules.as_union(progress.intervals)
    return BeatResult(
        watched_s=round(rules.watched_s(union, duration_s), 3),
        watched_percent=rules.watched_percent(union, duration_s),
        completed=rules.lesson_complete(
            union=union, duration_s=duration_s, has_video=True, marked=False
        ),
        position_s=rules.resume_position(progress.position_s, duration_s),
        duplicate=duplicate,
        deferred_ranges=tuple((round(a, 3), round(b, 3)) for a, b in deferred),
    )


def _progress_read(*, user_id: int, lesson_id: int, lock: bool = False) -> BeatRow | None:
    rows = LessonProgress.objects.filter(user_id=user_id, lesson_id=lesson_id)
    if lock:
        rows = rows.select_for_update()
    found = rows.values_list("id", "revision", *BEAT_FIELDS).first()
    return None if found is None else BeatRow(*found)


@cache
def _store_sql() -> tuple[str, str]:
    """(INSERT of a new row unless one exists, compare-and-swap UPDATE of an existing one)."""
    q, meta = connection.ops.quote_name, LessonProgress._meta
    columns = [q(meta.get_field(name).column) for name in BEAT_FIELDS]
    insert = (
        f"INSERT INTO {q(meta.db_table)} ({q('user_id')}, {q('lesson_id')}, {q('revision')}, "
        f"{', '.join(columns)}) VALUES (%s, %s, 1, {', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({q('user_id')}, {q('lesson_id')}) DO NOTHING"
    )
    update = (
        f"UPDATE {q(meta.db_table)} SET {q('revision')} = {q('revision')} + 1, "
        f"{', '.join(f'{c} = %s' for c in columns)} "
        f"WHERE {q('id')} = %s AND {q('revision')} = %s"
    )
    return insert, update


@cache
def _beat_fields():
    return tuple(LessonProgress._meta.get_field(name) for name in BEAT_FIELDS)


def _progress_store(progress: BeatRow, *, user_id: int, lesson_id: int) -> bool:
    """Write a beat's result unless the row changed since it was read; True if written.

    One statement, so no transaction: the INSERT loses to a concurrent first beat,
    the UPDATE to any beat that was written after this one's read.
    """
    db = connections[DEFAULT_DB_ALIAS]
    values = [f.get_db_prep_save(getattr(progress, f.attname), db) for f in _beat_fields()]
    insert, update = _store_sql()
    if progress.id is None:
        return prepared_rowcount(insert, [user_id, lesson_id, *values]) == 1
    return prepared_rowcount(update, [*values, progress.id, progress.revision]) == 1


def _beat_apply(progress: BeatRow, *, beat: Beat, duration: float, now) -> list[iv.Interval]:
    """Fold a beat into the row (in memory); returns the ranges deferred as implausible.

    A beat may claim what could have been played since the previous one (the allowance).
    Beyond it, the first ranges up to the allowance are recorded and the rest is answered
    back as deferred: a player that was offline sends its queued minutes at once, and the
    rest fits in a later beat, as the wall time goes on. Nothing beyond real time is ever
    recorded, and nothing really watched is refused for good.
    """
    elapsed = (now - progress.last_beat_at).total_seconds() if progress.last_beat_at else None
    allowance = rules.Allowance.for_beat(
        previous_s=progress.allowance_s if progress.last_beat_at else None, elapsed_s=elapsed
    )
    played = list(beat.ranges)
    claimed = iv.total(played)  # raw, not merged: looping a second twice took two seconds
    deferred: list[iv.Interval] = []
    if claimed > allowance.available_s + 1e-6:
        played, deferred = iv.budget_split(played, allowance.available_s)
        claimed = iv.total(played)
    ranges = iv.clip(played, 0.0, duration)
    union = iv.cap(iv.union([*rules.as_union(progress.intervals), *ranges]), rules.max_intervals())
    progress.intervals = [[s, e] for s, e in union]
    progress.watched_s = iv.total(iv.clip(union, 0.0, duration))
    if ranges:
        progress.heat = iv.heat_add(progress.heat, ranges, rules.HEAT_BIN_S)
    now_ms = int(now.timestamp() * 1000)
    # The player's clock orders its own beats, but never further ahead than the skew allows.
    order = (
        now_ms
        if beat.client_ts is None
        else min(beat.client_ts, now_ms + rules.CLIENT_CLOCK_SKEW_MS)
    )
    # Latest beat wins; on a tie the further position, so any arrival order agrees.
    if (order, beat.position_s) >= (progress.position_ts, progress.position_s):
        progress.position_ts, progress.position_s = order, beat.position_s
    progress.first_watched_at = progress.first_watched_at or now
    progress.last_watched_at = max(progress.last_watched_at or now, now)
    progress.last_beat_at = now
    progress.allowance_s = allowance.after(claimed)
    if beat.beat_id is not None:
        progress.recent_beat_ids = [*progress.recent_beat_ids, beat.beat_id][
            -rules.RECENT_BEAT_IDS :
        ]
    return deferred


UNREAD = object()


# Compare-and-swap attempts before a beat waits for a row lock instead: a retry only
# happens when another beat for the same learner and lesson won the race.
_OPTIMISTIC_ATTEMPTS = 3


def progress_beat_record(
    *, user, lesson: Lesson, beat: Beat, now: datetime | None = None
) -> BeatResult:
    """Apply one heartbeat; raises ProgressError (and changes nothing) if it is refused.

    `lesson` needs its video's current version loaded (for the duration). The
    caller has checked that the user may record progress on it.
    """
    return progress_beat_write(
        user_id=user.pk,
        lesson_id=lesson.pk,
        duration_s=lesson_duration_s(lesson),
        beat=beat,
        now=now,
    )


def progress_beat_write(
    *,
    user_id: int,
    lesson_id: int,
    duration_s: float | None,
    beat: Beat,
    now: datetime | None = None,
    current: BeatRow | None | object = UNREAD,
) -> BeatResult:
    """progress_beat_record() from ids and the duration; `current` saves reading the row.

    `current` is the row as the caller already read it (None: none yet). It is only
    a first guess: the beat is written back only if nothing changed the row since.
    """
    if not duration_s:
        raise ProgressError("This lesson has no playable video to track.")
    limit = duration_s + 1.0  # container durations are rounded; players overshoot a little
    if not 0 <= beat.position_s <= limit:
        raise ProgressError(f"position_s must be within the video (0 to {duration_s:.1f} s).")
    for start, end in beat.ranges:
        if start < 0 or end > limit:
            raise ProgressError(f"Ranges must lie within the video (0 to {duration_s:.1f} s).")
    now = now or timezone.now()

    progress = current
    for attempt in range(_OPTIMISTIC_ATTEMPTS + 1):
        locked = attempt == _OPTIMISTIC_ATTEMPTS
        with transaction.atomic() if locked else nullcontext():
            if locked or progress is UNREAD:
                progress = _progress_read(user_id=user_id, lesson_id=lesson_id, lock=locked)
            if progress is None:
                progress = BeatRow()
            if beat.beat_id is not None and beat.beat_id in progress.recent_beat_ids:
                # A retry of a beat already applied: the union would absorb it, the heat not.
                return _result(progress, duration_s, duplicate=True)
            deferred = _beat_apply(progress, beat=beat, duration=duration_s, now=now)
            if _progress_store(progress, user_id=user_id, lesson_id=lesson_id):
                return _result(progress, duration_s, deferred=deferred)
            progress = UNREAD  # another beat came first: read its result and go again
    # The locked attempt cannot lose: a new row is inserted there only if none exists, and
    # the lock holds the existing one at the revision just read.
    raise AssertionError("unreachable: the locked write failed")
