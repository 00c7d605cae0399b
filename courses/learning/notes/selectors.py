"""A learner's notes: always filtered by their owner, so another learner's note is "not found"."""

from __future__ import annotations

from django.db.models import QuerySet

from courses.models import Course, Lesson, LessonNote


def _mine(user) -> QuerySet[LessonNote]:
    return LessonNote.objects.filter(user=user).select_related("technique", "lesson")


def lesson_notes(*, user, lesson: Lesson) -> list[LessonNote]:
    """The learner's notes on a lesson in time order: one query, however many there are."""
    if not user.is_authenticated:
        return []
    return list(_mine(user).filter(lesson=lesson).order_by("time_s", "id"))


def note_get(*, user, note_id: int) -> LessonNote | None:
    if not user.is_authenticated:
        return None
    return _mine(user).filter(pk=note_id).first()


def course_notes(
    *, user, course: Course, lesson_number: int | None = None, technique_number: int | None = None
) -> list[LessonNote]:
    """The learner's notes across a course, by lesson then time; optionally one lesson's or
    one technique's."""
    notes = _mine(user).filter(lesson__course=course)
    if lesson_number is not None:
        notes = notes.filter(lesson__number=lesson_number)
    if technique_number is not None:
        notes = notes.filter(technique__number=technique_number)
    return list(notes.order_by("lesson__number", "time_s", "id"))
