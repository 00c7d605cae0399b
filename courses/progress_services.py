"""Write side of learner progress: heartbeats, hand-marked theory lessons, practice log.

A heartbeat is applied under a row lock (SELECT ... FOR UPDATE) so that two tabs or
a retry racing the original never lose each other's ranges. Everything a beat
changes is commutative (the union, the heat bins) or ordered by the beat's own
timestamp (the position), so arrival order does not matter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from courses import intervals as iv
from courses import progress as rules
from courses.models import Lesson, LessonProgress, Technique, TechniquePractice
from courses.selectors import lesson_duration_s

__all__ = [
    "Beat",
    "BeatResult",
    "ProgressError",
    "beat_parse",
    "lesson_mark_complete",
    "progress_beat_record",
    "technique_practice_log",
]


class ProgressError(Exception):
    """The request was refused; str(error) says why and is safe to show."""


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
        if client_ts < 0:
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


def _locked_progress(*, user, lesson: Lesson) -> LessonProgress:
    """The learner's row for the lesson, locked until the transaction ends (created if new)."""
    rows = LessonProgress.objects.select_for_update().filter(user=user, lesson=lesson)
    row = rows.first()
    if row is None:
        # ON CONFLICT DO NOTHING: a concurrent first beat may insert it first; then lock theirs.
        LessonProgress.objects.bulk_create(
            [LessonProgress(user=user, lesson=lesson)], ignore_conflicts=True
        )
        row = rows.get()
    return row


def _result(progress: LessonProgress, duration_s: float, *, duplicate: bool = False):
    union = rules.as_union(progress.intervals)
    return BeatResult(
        watched_s=round(rules.watched_s(union, duration_s), 3),
        watched_percent=rules.watched_percent(union, duration_s),
        completed=rules.lesson_complete(
            union=union, duration_s=duration_s, has_video=True, marked=False
        ),
        position_s=rules.resume_position(progress.position_s, duration_s),
        duplicate=duplicate,
    )


def progress_beat_record(
    *, user, lesson: Lesson, beat: Beat, now: datetime | None = None
) -> BeatResult:
    """Apply one heartbeat; raises ProgressError (and changes nothing) if it is refused.

    `lesson` needs its video's current version loaded (for the duration). The
    caller has checked that the user may record progress on it.
    """
    duration = lesson_duration_s(lesson)
    if not duration:
        raise ProgressError("This lesson has no playable video to track.")
    limit = duration + 1.0  # container durations are rounded; players overshoot a little
    if not 0 <= beat.position_s <= limit:
        raise ProgressError(f"position_s must be within the video (0 to {duration:.1f} s).")
    for start, end in beat.ranges:
        if start < 0 or end > limit:
            raise ProgressError(f"Ranges must lie within the video (0 to {duration:.1f} s).")
    now = now or timezone.now()
    claimed = iv.total(beat.ranges)  # raw, not merged: looping a second twice took two seconds
    ranges = iv.clip(beat.ranges, 0.0, duration)

    with transaction.atomic():
        progress = _locked_progress(user=user, lesson=lesson)
        if beat.beat_id is not None and beat.beat_id in progress.recent_beat_ids:
            # A retry of a beat already applied: the union would absorb it, the heat would not.
            return _result(progress, duration, duplicate=True)

        elapsed = (now - progress.last_beat_at).total_seconds() if progress.last_beat_at else None
        allowance = rules.Allowance.for_beat(
            previous_s=progress.allowance_s if progress.last_beat_at else None, elapsed_s=elapsed
        )
        if claimed > allowance.available_s + 1e-6:
            raise ProgressError(
                f"This beat claims {claimed:.1f} s of watching, more than could have been "
                f"played since the last one ({max(allowance.available_s, 0):.1f} s)."
            )

        union = iv.cap(
            iv.union([*rules.as_union(progress.intervals), *ranges]), rules.max_intervals()
        )
        progress.intervals = [[s, e] for s, e in union]
        progress.watched_s = iv.total(iv.clip(union, 0.0, duration))
        if ranges:
            progress.heat = iv.heat_add(list(progress.heat), ranges, rules.HEAT_BIN_S)
        order = beat.client_ts if beat.client_ts is not None else int(now.timestamp() * 1000)
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
        progress.save(
            update_fields=[
                "intervals",
                "watched_s",
                "heat",
                "position_s",
                "position_ts",
                "first_watched_at",
                "last_watched_at",
                "last_beat_at",
                "allowance_s",
                "recent_beat_ids",
            ]
        )
    return _result(progress, duration)


def lesson_mark_complete(
    *, user, lesson: Lesson, complete: bool = True, now: datetime | None = None
) -> LessonProgress:
    """Mark (or unmark) a theory lesson as done. Lessons with a video complete by watching."""
    if lesson.video_id is not None:
        raise ProgressError(
            "This lesson has a video: it is complete once you have watched "
            f"{rules.complete_ratio():.0%} of it."
        )
    now = now or timezone.now()
    with transaction.atomic():
        progress = _locked_progress(user=user, lesson=lesson)
        # Watch times stay as they are: "continue where you left off" is about videos.
        progress.marked_complete_at = now if complete else None
        progress.save(update_fields=["marked_complete_at"])
    return progress


def technique_practice_log(
    *, user, technique: Technique, practiced_on: date | None = None, note: str = ""
) -> TechniquePractice:
    """Record that the learner practised a technique (today unless a date is given)."""
    today = timezone.localdate()
    practiced_on = practiced_on or today
    # One day of slack: the learner's evening may already be tomorrow in UTC.
    if practiced_on > today + timedelta(days=1):
        raise ProgressError("The practice date is in the future.")
    note = (note or "").strip()
    if len(note) > 2000:
        raise ProgressError("Keep the note under 2000 characters.")
    return TechniquePractice.objects.create(
        user=user, technique=technique, practiced_on=practiced_on, note=note
    )
