"""Read-side queries for enrollment: a learner's courses."""

from django.db.models import Count, OuterRef, QuerySet, Subquery

from courses.models import Course, Enrollment


def user_courses(*, user) -> QuerySet[Course]:
    """Published courses the user is enrolled in, most recently enrolled first.

    Each course has `lesson_count` and `enrolled_at` annotations; one query.
    """
    if not user.is_authenticated:
        return Course.objects.none()
    enrollment = Enrollment.objects.filter(user=user, course=OuterRef("pk"))
    return (
        Course.objects.filter(is_published=True)
        .annotate(
            enrolled_at=Subquery(enrollment.values("created_at")[:1]),
            lesson_count=Count("lessons"),
        )
        .filter(enrolled_at__isnull=False)
        .order_by("-enrolled_at")
    )


def user_enrolled_course_ids(*, user) -> set[int]:
    """Ids of the courses the user is enrolled in, for badges on lists (one query)."""
    if not user.is_authenticated:
        return set()
    return set(Enrollment.objects.filter(user=user).values_list("course_id", flat=True))
