"""Staff-only JSON endpoints of the instructor studio.

Starting an upload is lesson-specific, so it lives here; sending parts,
completing and aborting go on by version id in media_pipeline.api.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from courses.models import Course, Lesson
from courses.studio import lesson_preview_set, lesson_upload_start, studio_lessons
from media_pipeline.api import upload_description
from media_pipeline.models import VideoVersion
from media_pipeline.selectors import version_status
from media_pipeline.uploads import UploadError

router = Router(tags=["studio"], auth=django_auth)


class UploadStartIn(Schema):
    filename: str
    size: int
    # Same file again (name, size, modification time) = resume its unfinished upload.
    fingerprint: str = ""


class PreviewIn(Schema):
    is_preview: bool


def _require_staff(request) -> None:
    if not request.user.is_staff:
        raise HttpError(403, "Only staff can manage lesson videos.")


def _version_dict(version: VideoVersion | None) -> dict | None:
    return version_status(version) if version is not None else None


def lesson_row(lesson: Lesson) -> dict:
    """One lesson as the studio page shows and polls it (see courses.studio.studio_lessons)."""
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


@router.get("/studio/lessons")
def studio_lessons_get(request, course: str | None = None):
    _require_staff(request)
    course_obj = get_object_or_404(Course, slug=course) if course else None
    return {"lessons": [lesson_row(lesson) for lesson in studio_lessons(course=course_obj)]}


@router.post("/studio/lessons/{lesson_id}/uploads")
def lesson_upload_start_post(request, lesson_id: int, payload: UploadStartIn):
    _require_staff(request)
    lesson = get_object_or_404(Lesson, pk=lesson_id)
    try:
        version, resumed = lesson_upload_start(
            lesson=lesson,
            filename=payload.filename,
            size=payload.size,
            uploaded_by=request.user,
            fingerprint=payload.fingerprint,
        )
    except UploadError as exc:
        too_large = payload.size > settings.MEDIA_UPLOAD_MAX_BYTES
        raise HttpError(413 if too_large else 400, str(exc)) from exc
    return {**upload_description(version), "resumed": resumed}


@router.post("/studio/lessons/{lesson_id}/preview")
def lesson_preview_post(request, lesson_id: int, payload: PreviewIn):
    _require_staff(request)
    lesson = get_object_or_404(Lesson, pk=lesson_id)
    lesson_preview_set(lesson=lesson, is_preview=payload.is_preview)
    return {"id": lesson.pk, "is_preview": lesson.is_preview}
