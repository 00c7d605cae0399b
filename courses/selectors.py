"""Read-side queries for the catalog, syllabus and enrollment."""

from django.db.models import Count, Prefetch, QuerySet

from courses.models import Course, Enrollment, Lesson, Technique


def lesson_duration_s(lesson: Lesson) -> float | None:
    """The duration of the version learners are served, or None before one is playable."""
    video = lesson.video
    if video is None or video.current_version is None:
        return None
    return video.current_version.duration_s


def course_list() -> QuerySet[Course]:
    return Course.objects.filter(is_published=True).annotate(lesson_count=Count("lessons"))


def course_syllabus_get(*, slug: str) -> Course:
    """A course with its lessons, their current video versions and techniques, in 3 queries."""
    lessons = Lesson.objects.select_related("video__current_version").prefetch_related(
        Prefetch("techniques", queryset=Technique.objects.order_by("number"))
    )
    return (
        Course.objects.filter(is_published=True)
        .prefetch_related(Prefetch("lessons", queryset=lessons.order_by("number")))
        .get(slug=slug)
    )


def user_is_enrolled(*, user, course: Course) -> bool:
    if not user.is_authenticated:
        return False
    return Enrollment.objects.filter(user=user, course=course).exists()
