"""Instructor analytics over learners' progress: per lesson and per technique.

Only enrolled learners count (staff previewing a lesson are not an audience).
Everything is computed in Python from four queries: the enrollment count,
the lessons with their current video, the techniques, and the progress rows of
the course's enrolled learners (with their heat bins). The rows are small and
few (learners x lessons), and completion must be judged against each lesson's
current duration anyway (see courses.learning.progress.rules), so SQL aggregates would not help.

Definitions:
- started: the learner has watched some of the current video (a theory lesson
  without video: marked it complete);
- completed: the same rule learners see (>= PROGRESS_COMPLETE_RATIO covered);
- median watched %: the median over the learners who started;
- drop-off: the lesson cut into 20 buckets of 5 %; for each, the share of the
  starters whose watched union covers the bucket's midpoint;
- heat: plays per second summed over learners, from each beat's own ranges,
  so loops and rewatches add up (unlike the union);
- technique watched_by: learners whose union covers >= the ratio of its range;
  plays: per learner, the mean plays per second over its range, summed over
  learners (one full watch = 1); rewatched_by: learners with a mean of >= 2.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from django.db.models import Count

from courses.learning.progress import intervals as iv
from courses.learning.progress import rules
from courses.learning.progress.selectors import lessons_with_durations
from courses.models import (
    Course,
    Enrollment,
    Lesson,
    LessonDownload,
    LessonProgress,
    Technique,
    lesson_duration_s,
)

BUCKETS = 20  # 5 % each


@dataclass
class TechniqueStats:
    technique: Technique
    lesson_number: int
    watched_by: int = 0
    rewatched_by: int = 0
    viewers: int = 0  # learners who played any of it
    plays: float = 0.0

    @property
    def average_plays(self) -> float | None:
        return round(self.plays / self.viewers, 2) if self.viewers else None


@dataclass
class LessonStats:
    lesson: Lesson
    duration_s: float | None
    enrolled: int
    started: int = 0
    completed: int = 0
    median_watched_percent: float | None = None
    dropoff: list[float] = field(default_factory=list)  # BUCKETS shares, 0-1
    heat: list[int] = field(default_factory=list)  # plays per second, summed
    techniques: list[TechniqueStats] = field(default_factory=list)
    downloads: int = 0  # offline copies handed out
    downloaded_by: int = 0  # learners who downloaded it

    @property
    def has_video(self) -> bool:
        return self.lesson.video_id is not None


@dataclass
class CourseStats:
    course: Course
    enrolled: int
    lessons: list[LessonStats]

    @property
    def techniques(self) -> list[TechniqueStats]:
        return [t for lesson in self.lessons for t in lesson.techniques]


def bucket_midpoints(duration_s: float) -> list[float]:
    return [(k + 0.5) * duration_s / BUCKETS for k in range(BUCKETS)]


def _mean_plays(heat: iv.HeatRuns, start_s: float, end_s: float) -> float:
    bins = iv.bin_range(start_s, end_s, rules.HEAT_BIN_S)
    if not bins:
        return 0.0
    plays = sum(
        count * max(0, min(stop, bins.stop) - max(first, bins.start)) for first, stop, count in heat
    )
    return plays / len(bins)


def _lesson_stats(
    lesson: Lesson, enrolled: int, rows: list[LessonProgress], techniques: list[Technique]
) -> LessonStats:
    duration = lesson_duration_s(lesson)
    stats = LessonStats(lesson=lesson, duration_s=duration, enrolled=enrolled)
    stats.techniques = [
        TechniqueStats(technique=t, lesson_number=lesson.number) for t in techniques
    ]
    has_video = lesson.video_id is not None
    unions = [(row, iv.clip(rules.as_union(row.intervals), 0, duration or 0)) for row in rows]
    for row, union in unions:
        marked = bool(row.marked_complete_at)
        if rules.lesson_complete(
            union=union, duration_s=duration, has_video=has_video, marked=marked
        ):
            stats.completed += 1
    if not duration:
        stats.started = sum(bool(row.marked_complete_at) for row in rows) if not has_video else 0
        return stats

    starters = [(row, union) for row, union in unions if union]
    stats.started = len(starters)
    if starters:
        stats.median_watched_percent = round(
            statistics.median(rules.watched_percent(u, duration) for _, u in starters), 1
        )
        stats.dropoff = [
            sum(iv.covers_point(u, point) for _, u in starters) / len(starters)
            for point in bucket_midpoints(duration)
        ]
    else:
        stats.dropoff = [0.0] * BUCKETS
    bins = len(iv.bin_range(0, duration, rules.HEAT_BIN_S))
    stats.heat = iv.heat_dense([run for row, _ in unions for run in row.heat], bins)

    for t_stats in stats.techniques:
        t = t_stats.technique
        if t.start_s is None or t.end_s is None:
            continue
        for row, union in unions:
            if rules.range_watched(union, t.start_s, t.end_s):
                t_stats.watched_by += 1
            plays = _mean_plays(row.heat, t.start_s, t.end_s)
            if plays > 0:
                t_stats.viewers += 1
                t_stats.plays += plays
                t_stats.rewatched_by += plays >= 2
        t_stats.plays = round(t_stats.plays, 2)
    return stats


def course_stats(*, course: Course) -> CourseStats:
    """Analytics for one course (published or not), in five queries."""
    enrolled = Enrollment.objects.filter(course=course).count()
    lessons = list(lessons_with_durations([course.pk]))
    techniques: dict[int, list[Technique]] = {}
    for t in Technique.objects.filter(course=course).order_by("number"):
        techniques.setdefault(t.lesson_id, []).append(t)
    rows: dict[int, list[LessonProgress]] = {}
    progress = (
        LessonProgress.objects.filter(lesson__course=course, user__enrollments__course=course)
        .only("lesson_id", "user_id", "intervals", "heat", "marked_complete_at")
        .order_by("lesson_id", "user_id")
    )
    for row in progress:
        rows.setdefault(row.lesson_id, []).append(row)
    downloads = {
        d["lesson_id"]: d
        for d in LessonDownload.objects.filter(lesson__course=course)
        .values("lesson_id")
        .annotate(n=Count("id"), people=Count("user_id", distinct=True))
    }
    stats = [
        _lesson_stats(lesson, enrolled, rows.get(lesson.pk, []), techniques.get(lesson.pk, []))
        for lesson in lessons
    ]
    for lesson_stats in stats:
        counted = downloads.get(lesson_stats.lesson.pk)
        if counted:
            lesson_stats.downloads, lesson_stats.downloaded_by = counted["n"], counted["people"]
    return CourseStats(course=course, enrolled=enrolled, lessons=stats)


CSV_HEADER = [
    "kind",
    "lesson",
    "technique",
    "title",
    "duration_s",
    "start_s",
    "end_s",
    "enrolled",
    "started",
    "completed",
    "median_watched_percent",
    "watched_by",
    "rewatched_by",
    "plays",
    # Share of starters still watching at the middle of each 5 % bucket.
    *[f"dropoff_{k * 100 // BUCKETS}" for k in range(BUCKETS)],
]


def _num(value) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def csv_rows(stats: CourseStats) -> list[list[str]]:
    """The CSV export: one row per lesson, then one per technique (empty cells where n/a)."""
    rows = [CSV_HEADER]
    blank_dropoff = [""] * BUCKETS
    for lesson in stats.lessons:
        rows.append(
            [
                "lesson",
                str(lesson.lesson.number),
                "",
                lesson.lesson.title,
                _num(lesson.duration_s),
                "",
                "",
                str(lesson.enrolled),
                str(lesson.started),
                str(lesson.completed),
                _num(lesson.median_watched_percent),
                "",
                "",
                "",
                *([f"{share:.4f}" for share in lesson.dropoff] or blank_dropoff),
            ]
        )
    for lesson in stats.lessons:
        for t in lesson.techniques:
            rows.append(
                [
                    "technique",
                    str(lesson.lesson.number),
                    str(t.technique.number),
                    t.technique.name,
                    "",
                    _num(t.technique.start_s),
                    _num(t.technique.end_s),
                    str(lesson.enrolled),
                    "",
                    "",
                    "",
                    str(t.watched_by),
                    str(t.rewatched_by),
                    _num(t.plays),
                    *blank_dropoff,
                ]
            )
    return rows
