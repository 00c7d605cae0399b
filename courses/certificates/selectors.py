"""Who may claim a certificate, and the certificates people look up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from courses import access
from courses.learning.progress.selectors import course_lesson_states
from courses.models import Certificate, Course


@dataclass(frozen=True)
class Eligibility:
    enrolled: bool
    lessons_done: int
    lessons_total: int
    completed_on: date | None  # the day the last lesson was completed, once all are

    @property
    def complete(self) -> bool:
        return self.enrolled and self.lessons_total > 0 and self.lessons_done == self.lessons_total


def certificate_eligibility(*, user, course: Course) -> Eligibility:
    """Completion by the rule every progress mark uses: each lesson with video watched to
    the completion ratio, each lesson without video marked as complete. A lesson whose video
    is not playable yet cannot be completed, so neither can the course."""
    if not user.is_authenticated or not access.is_enrolled(user=user, course=course):
        return Eligibility(False, 0, 0, None)
    states = course_lesson_states(user=user, course=course)
    done = [s for s in states if s.completed]
    last = max((s.last_watched_at for s in done if s.last_watched_at), default=None)
    completed_on = None
    if states and len(done) == len(states):
        completed_on = timezone.localdate(last) if last else timezone.localdate()
    return Eligibility(True, len(done), len(states), completed_on)


def certificate_valid_get(*, user, course: Course) -> Certificate | None:
    return Certificate.objects.filter(user=user, course=course, revoked_at__isnull=True).first()


def certificate_by_code(*, code: str) -> Certificate | None:
    """A certificate by its code as people type it: any case, with or without dashes."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(cleaned) != 12:
        return None
    formatted = "-".join(cleaned[i : i + 4] for i in range(0, 12, 4))
    return Certificate.objects.filter(code=formatted).select_related("course").first()


def certificates_for_staff(*, query: str = "", limit: int = 200) -> list[Certificate]:
    rows = Certificate.objects.select_related("user", "course").order_by("-issued_at")
    if query:
        rows = rows.filter(full_name__icontains=query) | rows.filter(code__icontains=query)
    return list(rows[:limit])
