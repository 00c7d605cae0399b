"""What a learner's reminder would say: where to continue, which techniques are due."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Max

from courses.enrollment.selectors import user_courses
from courses.learning.progress.selectors import dashboard_progress
from courses.models import ReminderSent, ReminderSubscription, Technique, TechniquePractice
from courses.reminders.rules import INACTIVE_DAYS, technique_due_on, week_of


@dataclass
class Reminder:
    user: object
    continue_course: object | None = None  # a CourseProgress whose continue/next is set
    continue_lesson: object | None = None  # a LessonState
    due: list[tuple[Technique, date]] = field(default_factory=list)

    @property
    def worth_sending(self) -> bool:
        return self.continue_lesson is not None or bool(self.due)


def techniques_due(*, user, today: date) -> list[tuple[Technique, date]]:
    rows = (
        TechniquePractice.objects.filter(user=user)
        .values("technique_id")
        .annotate(last=Max("practiced_on"), times=Count("id"))
    )
    due_on = {
        r["technique_id"]: technique_due_on(last_practiced_on=r["last"], times_practiced=r["times"])
        for r in rows
    }
    wanted = [pk for pk, day in due_on.items() if day <= today]
    techniques = Technique.objects.filter(pk__in=wanted).select_related("lesson", "course")
    return sorted(
        ((t, due_on[t.pk]) for t in techniques), key=lambda pair: (pair[1], pair[0].number)
    )


def reminder_for(*, user, now: datetime) -> Reminder:
    """The learner's reminder: "continue" only after INACTIVE_DAYS without watching, and the
    techniques due for practice today."""
    reminder = Reminder(user=user)
    courses = list(user_courses(user=user))
    if courses:
        progress = dashboard_progress(user=user, courses=courses)
        latest = progress["continue_watching"]
        last_watched = latest.continue_lesson.last_watched_at if latest else None
        if last_watched is None or last_watched <= now - timedelta(days=INACTIVE_DAYS):
            course = latest or next(
                (p for p in progress["course_progress"] if p.next_unwatched), None
            )
            if course is not None:
                lesson = (
                    course.continue_lesson
                    if course.continue_lesson and not course.continue_lesson.completed
                    else course.next_unwatched
                )
                if lesson is not None:
                    reminder.continue_course, reminder.continue_lesson = course, lesson
    reminder.due = techniques_due(user=user, today=now.date())
    return reminder


def reminder_candidates(*, today: date, limit: int):
    """Subscribers with a live address who got no reminder this week, oldest first."""
    sent = ReminderSent.objects.filter(week=week_of(today)).values("user_id")
    return (
        ReminderSubscription.objects.select_related("user")
        .filter(user__is_active=True)
        .exclude(user__email="")
        .exclude(user_id__in=sent)
        .order_by("created_at")[:limit]
    )
