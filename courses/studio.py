"""The instructor's side of lesson videos: start (or resume) an upload for a lesson.

A lesson points at one Video; each upload is a new version of it, which
media_pipeline switches to once it can be played, so courses never has to
know about processing states beyond reading them.
"""

from django.db import transaction
from django.db.models import OuterRef, Subquery

from courses.models import Course, Lesson
from media_pipeline.models import Video, VideoVersion
from media_pipeline.uploads import (
    video_create,
    video_upload_resumable_get,
    video_upload_start,
)


def lesson_video_ensure(*, lesson: Lesson) -> Video:
    with transaction.atomic():
        lesson = Lesson.objects.select_for_update().select_related("course").get(pk=lesson.pk)
        if lesson.video_id is None:
            lesson.video = video_create(title=f"{lesson.course.title} — Lesson {lesson.number}")
            lesson.save(update_fields=["video"])
        return lesson.video


def lesson_upload_start(
    *, lesson: Lesson, filename: str, size: int, uploaded_by, fingerprint: str = ""
) -> tuple[VideoVersion, bool]:
    """A new upload for the lesson, or the unfinished one of the same file; (version, resumed)."""
    video = lesson_video_ensure(lesson=lesson)
    existing = video_upload_resumable_get(video=video, fingerprint=fingerprint, size=size)
    if existing is not None:
        return existing, True
    version = video_upload_start(
        video=video, filename=filename, size=size, uploaded_by=uploaded_by, fingerprint=fingerprint
    )
    return version, False


def lesson_preview_set(*, lesson: Lesson, is_preview: bool) -> None:
    if lesson.is_preview != is_preview:
        lesson.is_preview = is_preview
        lesson.save(update_fields=["is_preview"])


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
