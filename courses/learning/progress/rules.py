"""The rules of learner progress, in one place (pure functions; no queries).

Settings (all optional, defaults in brackets):

- PROGRESS_COMPLETE_RATIO [0.9]: share of a lesson's current duration the watched
  union must cover for the lesson to be complete; techniques use the same ratio
  on their start-end range. Scrubbing does not count: only played ranges do.
- PROGRESS_MAX_RATE [2.0]: fastest playback speed the player offers.
- PROGRESS_SLACK_S [15]: tolerance for clock jitter and delayed beats.
- PROGRESS_FIRST_BEAT_MAX_S [40]: the most a learner's first beat may claim.
- PROGRESS_MAX_INTERVALS [500]: the stored union is capped at this many intervals.
- PROGRESS_RESUME_TAIL_S [10]: a position this close to the end resumes at 0.

Why completion is computed on read: replacing a lesson's video (media_pipeline
switches `current_version`) changes the duration every learner's progress is
measured against. Storing a "completed" flag would need a hook in that other app
and a rewrite of every progress row of the lesson, racing with live heartbeats.
The union is stored in video seconds and is small, and every reader already has
the current version joined in, so completion = coverage of the union clipped to
[0, current duration] >= ratio x current duration, evaluated when read. A longer
replacement therefore un-completes a lesson watched to 90 % of the old video;
a shorter one may complete it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from courses.learning.progress import intervals as iv


class ProgressError(Exception):
    """The request was refused; str(error) says why and is safe to show."""


HEAT_BIN_S = 1.0
MAX_RANGES_PER_BEAT = 200  # a beat covers ~10 s of play; more is a broken or hostile client
# A player's clock may run ahead of the server's by at most this when ordering beats: a
# future clock would otherwise pin the resume position for good.
CLIENT_CLOCK_SKEW_MS = 5 * 60 * 1000
MAX_CLIENT_TS_MS = 2**53  # JavaScript's largest exact integer; beyond is no real time
RECENT_BEAT_IDS = 32  # retries and sendBeacon duplicates arrive within seconds


def complete_ratio() -> float:
    return float(settings.PROGRESS_COMPLETE_RATIO)


def max_rate() -> float:
    return float(settings.PROGRESS_MAX_RATE)


def slack_s() -> float:
    return float(settings.PROGRESS_SLACK_S)


def first_beat_max_s() -> float:
    return float(settings.PROGRESS_FIRST_BEAT_MAX_S)


def max_intervals() -> int:
    return int(settings.PROGRESS_MAX_INTERVALS)


def resume_tail_s() -> float:
    return float(settings.PROGRESS_RESUME_TAIL_S)


def as_union(stored) -> list[iv.Interval]:
    """The stored JSON ([[s, e], ...]) as interval tuples."""
    return [(float(s), float(e)) for s, e in (stored or [])]


def watched_s(union: list[iv.Interval], duration_s: float | None) -> float:
    """Seconds of the current video the union covers (0 without a duration)."""
    if not duration_s:
        return 0.0
    return iv.covered(union, 0.0, duration_s)


def watched_percent(union: list[iv.Interval], duration_s: float | None) -> float | None:
    """0-100, one decimal; None when the lesson has no playable video."""
    if not duration_s:
        return None
    return round(min(100.0, 100.0 * watched_s(union, duration_s) / duration_s), 1)


def lesson_complete(
    *, union: list[iv.Interval], duration_s: float | None, has_video: bool, marked: bool
) -> bool:
    """Video lessons: the union covers >= ratio of the CURRENT duration.

    Lessons without a video: the learner's own mark. A mark stops counting once a
    video is attached (the lesson then completes by watching, like the others).
    """
    if not has_video:
        return marked
    if not duration_s:
        return False  # a video is attached but not playable yet
    return watched_s(union, duration_s) >= complete_ratio() * duration_s - 1e-9


def range_watched(union: list[iv.Interval], start_s: float, end_s: float) -> bool:
    """A technique's range counts as watched when the union covers >= ratio of it."""
    if end_s <= start_s:
        return False
    return iv.covered(union, start_s, end_s) >= complete_ratio() * (end_s - start_s) - 1e-9


def resume_position(position_s: float, duration_s: float | None) -> float:
    """Where the player should start: the last position, or 0 near (or past) the end."""
    if duration_s and position_s >= duration_s - resume_tail_s():
        return 0.0
    return max(0.0, position_s)


@dataclass(frozen=True)
class Allowance:
    """The plausibility limit as a token bucket of watch-time seconds.

    The rule: a beat may claim at most MAX_RATE x (wall time since the previous
    beat) + SLACK. Taken literally, the slack could be claimed again by every beat
    of a burst; so the unspent part of a beat's allowance is carried over but
    capped at SLACK. With beats every ~10 s at up to 2x, the bucket refills each
    time and the limit is exactly the rule's; a burst drains it and is refused.
    """

    available_s: float

    @classmethod
    def for_beat(cls, *, previous_s: float | None, elapsed_s: float | None) -> Allowance:
        if previous_s is None or elapsed_s is None:  # first beat for this lesson
            return cls(first_beat_max_s())
        return cls(previous_s + max_rate() * max(elapsed_s, 0.0))

    def after(self, claimed_s: float) -> float:
        """What is carried over to the next beat."""
        return min(self.available_s - claimed_s, slack_s())
