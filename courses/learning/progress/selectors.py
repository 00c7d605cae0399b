"""Read side of learner progress for pages and APIs: resume points, marks, course progress.

Every function here runs a fixed number of queries whatever the size of the
course; completion is evaluated against each lesson's current video (see the
module docstring of courses.learning.progress.rules for why). The heartbeat's own
tuned read lives in courses.learning.progress.heartbeat.

One module (a little over 300 lines) on purpose: the lesson, course, technique and
dashboard views are all built from the same per-lesson states (`_states`), so the
rule of what counts as watched is read in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, FilteredRelation, Q, QuerySet

from courses.learning.progress import rules
from courses.learning.progress.heartbeat.selectors import beat_context_get
from courses.models import (
    Course,
    Lesson,
    LessonProgress,
    Technique,
    TechniquePractice,
    lesson_duration_s,
)

# The columns readers need; the heat bins and beat ids are big and only for writers/analytics.
_ROW_FIELDS = (
    "id",
    "intervals",
    "position_s",
    "first_watched_at",
    "last_watched_at",
    "marked_complete_at",
)


def lesson_for_progress_get(*, lesson_id: int, user) -> Lesson:
    """A lesson of a published course, its video duration and `user_is_enrolled`, in one query.

    Returns a Lesson with `video.current_version.duration_s` filled in, so
    lesson_duration_s() works.
    """
    context = beat_context_get(user_id=user.pk, lesson_id=lesson_id)
    lesson = context.lesson() if context is not None else None
    if lesson is None:
        raise Lesson.DoesNotExist(f"No published lesson {lesson_id}.")
    return lesson


def progress_resume_at(*, user, lesson: Lesson) -> float | None:
    """Where the player should start this learner: None if they never played it.

    The last position, or 0 when it is within the last PROGRESS_RESUME_TAIL_S of the
    video (they finished; start over). One query; `lesson` should have its
    video's current version loaded.
    """
    if not user.is_authenticated:
        return None
    position = (
        LessonProgress.objects.filter(user=user, lesson=lesson, last_beat_at__isnull=False)
        .values_list("position_s", flat=True)
        .first()
    )
    if position is None:
        return None
    return rules.resume_position(position, lesson_duration_s(lesson))


@dataclass
class LessonState:
    lesson: Lesson
    duration_s: float | None
    completed: bool
    watched_percent: float | None  # None: no playable video
    position_s: float  # where to resume (0 near the end)
    last_watched_at: datetime | None
    union: list = field(default_factory=list, repr=False)

    @property
    def available(self) -> bool:
        """Something the learner can do now: a playable video, or a theory lesson."""
        return self.duration_s is not None or self.lesson.video_id is None

    @property
    def counts(self) -> bool:
        """Whether the lesson is in the course percentage's denominator."""
        return self.duration_s is not None or (self.lesson.video_id is None and self.completed)

    @property
    def resume_t(self) -> int:
        """The position as a lesson page `?t=` value (whole seconds)."""
        return int(self.position_s)

    @property
    def started(self) -> bool:
        return bool(self.union) or self.completed

    def as_ref(self) -> dict:
        return {
            "lesson_id": self.lesson.pk,
            "number": self.lesson.number,
            "title": self.lesson.title,
            "position_s": self.position_s,
        }


def lesson_state(lesson: Lesson, row: LessonProgress | None) -> LessonState:
    duration = lesson_duration_s(lesson)
    union = rules.as_union(row.intervals) if row else []
    return LessonState(
        lesson=lesson,
        duration_s=duration,
        completed=rules.lesson_complete(
            union=union,
            duration_s=duration,
            has_video=lesson.video_id is not None,
            marked=bool(row and row.marked_complete_at),
        ),
        watched_percent=rules.watched_percent(union, duration),
        position_s=rules.resume_position(row.position_s, duration) if row else 0.0,
        last_watched_at=row.last_watched_at if row else None,
        union=union,
    )


def lessons_with_durations(course_ids: Iterable[int]) -> QuerySet[Lesson]:
    """The courses' lessons with just what progress needs: ids and video durations."""
    return (
        Lesson.objects.filter(course_id__in=list(course_ids))
        .select_related("video__current_version")
        .only(
            "id",
            "course_id",
            "number",
            "title",
            "video__id",
            "video__current_version__id",
            "video__current_version__duration_s",
        )
        .order_by("course_id", "number")
    )


def _states(*, user, course_ids: Iterable[int]) -> list[LessonState]:
    """Every lesson of the courses with the user's progress on it, in ONE query.

    The learner's row is LEFT JOINed onto each lesson (FilteredRelation), so pages
    that show progress cost one query more than pages that do not.
    """
    lessons = lessons_with_durations(course_ids)
    if not user.is_authenticated:
        return [lesson_state(lesson, None) for lesson in lessons]
    mine = FilteredRelation("progress", condition=Q(progress__user_id=user.pk))
    lessons = lessons.annotate(mine=mine).annotate(
        **{f"p_{name}": F(f"mine__{name}") for name in _ROW_FIELDS}
    )
    states = []
    for lesson in lessons:
        row = None
        if lesson.p_id is not None:
            row = LessonProgress(
                lesson_id=lesson.pk, **{name: getattr(lesson, f"p_{name}") for name in _ROW_FIELDS}
            )
        states.append(lesson_state(lesson, row))
    return states


@dataclass
class CourseProgress:
    course: Course
    lessons: list[LessonState]
    percent: float
    continue_lesson: LessonState | None
    next_unwatched: LessonState | None

    @property
    def completed_count(self) -> int:
        return sum(state.completed for state in self.lessons)

    @property
    def counted_count(self) -> int:
        return sum(state.counts for state in self.lessons)


def course_percent(states: list[LessonState]) -> float:
    """Course progress in percent (one decimal).

    completed lessons / lessons that count, where a lesson counts when it has a
    playable video, or when it has no video and the learner marked it complete.
    So a theory lesson adds to both numerator and denominator once marked, and an
    unmarked one changes nothing (a course is not held back by optional reading);
    a lesson whose video is still processing is left out until it can be watched.
    No lesson counting yet gives 0.
    """
    counted = [state for state in states if state.counts]
    if not counted:
        return 0.0
    return round(100.0 * sum(state.completed for state in counted) / len(counted), 1)


def _course_summary(course: Course, states: list[LessonState]) -> CourseProgress:
    watched = [s for s in states if s.duration_s is not None and s.last_watched_at is not None]
    current = max(watched, key=lambda s: s.last_watched_at, default=None)
    candidates = [s for s in states if s.available and not s.completed and s is not current]
    after = [s for s in candidates if current and s.lesson.number > current.lesson.number]
    return CourseProgress(
        course=course,
        lessons=states,
        percent=course_percent(states),
        continue_lesson=current,
        next_unwatched=(after or candidates or [None])[0],
    )


def course_lesson_states(*, user, course: Course) -> list[LessonState]:
    """Every lesson of the course with the learner's progress, in one query (certificates
    read completion from it: the same rule as every progress mark)."""
    return _states(user=user, course_ids=[course.pk])


def course_progress_marks(*, user, course: Course) -> dict[int, dict]:
    """{lesson_id: {"completed": bool, "watched_percent": float | None}} for course pages.

    One query (lessons with their current video and the learner's rows); anonymous
    visitors get every lesson unwatched.
    """
    states = _states(user=user, course_ids=[course.pk])
    return {
        s.lesson.pk: {"completed": s.completed, "watched_percent": s.watched_percent}
        for s in states
    }


def course_progress_get(*, user, course: Course) -> dict:
    """The learner's progress in a course, as GET /api/me/courses/{slug}/progress returns it.

    Three queries: lessons with the learner's rows, techniques, practice counts.
    """
    states = _states(user=user, course_ids=[course.pk])
    summary = _course_summary(course, states)
    by_lesson = {s.lesson.pk: s for s in states}
    techniques = Technique.objects.filter(course=course).only(
        "id", "number", "name", "lesson_id", "start_s", "end_s"
    )
    practiced = dict(
        TechniquePractice.objects.filter(user=user, technique__course=course)
        .values("technique_id")
        .annotate(n=Count("id"))
        .values_list("technique_id", "n")
    )
    return {
        "course": course.slug,
        "percent": summary.percent,
        "continue": summary.continue_lesson.as_ref() if summary.continue_lesson else None,
        "next_unwatched": summary.next_unwatched.as_ref() if summary.next_unwatched else None,
        "lessons": [
            {
                "lesson_id": s.lesson.pk,
                "number": s.lesson.number,
                "title": s.lesson.title,
                "completed": s.completed,
                "watched_percent": s.watched_percent,
                "position_s": s.position_s,
            }
            for s in states
        ],
        "techniques": [
            {
                "number": t.number,
                "name": t.name,
                "lesson_number": by_lesson[t.lesson_id].lesson.number,
                "watched": technique_watched(t, by_lesson[t.lesson_id]),
                "practiced_count": practiced.get(t.pk, 0),
            }
            for t in sorted(techniques, key=lambda t: t.number)
        ],
    }


def technique_watched(technique: Technique, state: LessonState) -> bool:
    """Its range is >= 90 % covered; without times, when its lesson is complete."""
    if technique.start_s is None or technique.end_s is None:
        return state.completed
    return rules.range_watched(state.union, technique.start_s, technique.end_s)


def dashboard_progress(*, user, courses: list[Course]) -> dict:
    """Progress for the dashboard's courses in one query, however many courses.

    Returns {"course_progress": [CourseProgress, in the order of `courses`],
    "continue_watching": the CourseProgress whose `continue_lesson` was watched
    most recently, or None}.
    """
    states = _states(user=user, course_ids=[c.pk for c in courses]) if courses else []
    by_course: dict[int, list[LessonState]] = {}
    for state in states:
        by_course.setdefault(state.lesson.course_id, []).append(state)
    progress = [_course_summary(c, by_course.get(c.pk, [])) for c in courses]
    latest = max(
        (p for p in progress if p.continue_lesson),
        key=lambda p: p.continue_lesson.last_watched_at,
        default=None,
    )
    return {"course_progress": progress, "continue_watching": latest}


@dataclass(frozen=True)
class ProgressMark:
    """A learner's progress on one lesson, as the course and lesson pages show it."""

    completed: bool
    watched_percent: float | None

    @property
    def started(self) -> bool:
        return self.completed or bool(self.watched_percent)

    @property
    def percent(self) -> int:
        """Whole percent, rounded down: 99.6 % is not "100 % watched" when it is not complete."""
        return int(self.watched_percent or 0)

    @property
    def label(self) -> str:
        if self.completed:
            return "Completed"
        if self.percent:
            return f"{self.percent} % watched"
        # A few seconds of a long lesson: say it was started rather than "0 % watched".
        return "Started" if self.started else ""


def progress_marks(*, user, course: Course) -> dict[int, ProgressMark]:
    """{lesson_id: ProgressMark} for a learner who records progress (one query)."""
    return {
        lesson_id: ProgressMark(**mark)
        for lesson_id, mark in course_progress_marks(user=user, course=course).items()
    }
