"""Read-side queries for the catalog, syllabus and enrollment."""

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery

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


def course_get(*, slug: str) -> Course:
    """A published course (raises Course.DoesNotExist otherwise)."""
    return Course.objects.filter(is_published=True).get(slug=slug)


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


def lesson_get(*, course_slug: str, number: int) -> Lesson:
    """A lesson of a published course with its course, video version and techniques."""
    return (
        Lesson.objects.filter(course__slug=course_slug, course__is_published=True)
        .select_related("course", "video__current_version")
        .prefetch_related(Prefetch("techniques", queryset=Technique.objects.order_by("number")))
        .get(number=number)
    )


def lesson_neighbours(*, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    """The previous and next lessons of the same course (one query)."""
    siblings = list(
        Lesson.objects.filter(course_id=lesson.course_id).only("number", "title").order_by("number")
    )
    before = [x for x in siblings if x.number < lesson.number]
    after = [x for x in siblings if x.number > lesson.number]
    return (before[-1] if before else None, after[0] if after else None)


def user_can_watch_lesson(*, user, lesson: Lesson) -> bool:
    """Preview lessons are public; the others need an enrollment (staff may watch anything)."""
    if lesson.is_preview:
        return True
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return user_is_enrolled(user=user, course=lesson.course)
