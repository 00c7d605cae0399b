"""What the studio shows: lessons with their served and newest video versions."""

from django.db.models import OuterRef, Subquery

from courses.models import Course, Lesson
from media_pipeline.models import VideoVersion
from media_pipeline.selectors import version_status


def studio_lessons(*, course: Course | None = None) -> list[Lesson]:
    """Lessons (of one course, or all) for the studio, in three queries.

    Each lesson gets `current_version` (what learners are served) and
    `latest_version` (the newest upload, which may still be processing or
    have failed), both with renditions prefetched, or None.
    """
    latest = VideoVersion.objects.filter(video_id=OuterRef("video_id")).order_by("-created_at")
    lessons = (
        Lesson.objects.select_related("course", "video")
        .annotate(latest_version_id=Subquery(latest.values("pk")[:1]))
        .order_by("course__title", "course_id", "number")
    )
    if course is not None:
        lessons = lessons.filter(course=course)
    lessons = list(lessons)
    wanted = {lesson.latest_version_id for lesson in lessons} | {
        lesson.video.current_version_id for lesson in lessons if lesson.video
    }
    wanted.discard(None)
    versions = {
        v.pk: v
        for v in VideoVersion.objects.filter(pk__in=wanted)
        .select_related("video")
        .prefetch_related("renditions")
    }
    for lesson in lessons:
        current_id = lesson.video.current_version_id if lesson.video else None
        lesson.current_version = versions.get(current_id)
        lesson.latest_version = versions.get(lesson.latest_version_id)
    return lessons


def _version_dict(version: VideoVersion | None) -> dict | None:
    return version_status(version) if version is not None else None


def lesson_row(lesson: Lesson) -> dict:
    """One lesson as the studio page shows and polls it (see studio_lessons)."""
    latest = lesson.latest_version
    return {
        "id": lesson.pk,
        "course": lesson.course.slug,
        "number": lesson.number,
        "title": lesson.title,
        "is_preview": lesson.is_preview,
        "video_id": str(lesson.video_id) if lesson.video_id else None,
        "current": _version_dict(lesson.current_version),
        "latest": _version_dict(latest),
        # The page keeps polling while the server is working on something;
        # an unfinished upload is not that (the browser has to send the rest).
        "processing": latest is not None and latest.state in VideoVersion.PROCESSING_STATES,
    }
