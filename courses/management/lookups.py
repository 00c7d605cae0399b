"""Argument lookups shared by the courses management commands."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from courses.models import Course


def user_get_or_fail(username: str):
    User = get_user_model()
    try:
        return User.objects.get(**{User.USERNAME_FIELD: username})
    except User.DoesNotExist:
        raise CommandError(f"No user named {username!r}.") from None


def course_get_or_fail(slug: str) -> Course:
    # Any course, published or not: staff may enroll testers before launch.
    try:
        return Course.objects.get(slug=slug)
    except Course.DoesNotExist:
        known = ", ".join(Course.objects.values_list("slug", flat=True)) or "none yet"
        raise CommandError(f"No course with slug {slug!r} (existing: {known}).") from None
