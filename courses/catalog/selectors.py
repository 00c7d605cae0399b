"""Read-side queries for the catalog and syllabus."""

from django.db.models import Count, Prefetch, QuerySet

from courses.models import Course, Lesson, Technique


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


def course_get(*, slug: str) -> Course:
    """A published course (raises Course.DoesNotExist otherwise)."""
    return Course.objects.filter(is_published=True).get(slug=slug)


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
