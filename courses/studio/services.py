"""The instructor's side of lesson videos: start (or resume) an upload for a lesson.

A lesson points at one Video; each upload is a new version of it, which
media_pipeline switches to once it can be played, so courses never has to
know about processing states beyond reading them.
"""

from django.db import transaction

from courses.models import Lesson
from media_pipeline.models import Video, VideoVersion
from media_pipeline.uploads.services import (
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
