"""Write side of learner progress besides heartbeats: theory lessons marked done, practice log."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from courses.learning.progress import rules
from courses.learning.progress.rules import ProgressError
from courses.models import Lesson, LessonProgress, Technique, TechniquePractice
from courses.models.learning import PRACTICE_NOTE_MAX_CHARS

__all__ = ["ProgressError", "lesson_mark_complete", "technique_practice_log"]


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
    if len(note) > PRACTICE_NOTE_MAX_CHARS:
        raise ProgressError(f"Keep the note under {PRACTICE_NOTE_MAX_CHARS} characters.")
    return TechniquePractice.objects.create(
        user=user, technique=technique, practiced_on=practiced_on, note=note
    )
