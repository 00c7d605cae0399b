"""Staff-only JSON endpoints of the instructor studio: lessons, previews and uploads.

Starting an upload is lesson-specific; sending parts, completing and aborting go on
by version id (the pipeline's uploads, under /api/media/). Who may use them is
courses.access.can_manage_lessons.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.security import django_auth

from courses import access
from courses.models import Course, Lesson
from courses.studio.http import studio_responses, upload_http_error
from courses.studio.selectors import lesson_row, studio_lessons
from courses.studio.services import (
    ChapterTimesError,
    lesson_preview_set,
    lesson_technique_times_save,
    lesson_upload_start,
)
from media_pipeline.uploads.services import UploadError, upload_description

DENIED = "Only staff can manage lesson videos."

router = Router(tags=["studio"], auth=django_auth)


class UploadStartIn(Schema):
    filename: str
    size: int
    # Same file again (name, size, modification time) = resume its unfinished upload.
    fingerprint: str = ""


class PreviewIn(Schema):
    is_preview: bool


@router.get("/studio/lessons", response=studio_responses())
def studio_lessons_get(request, course: str | None = None):
    access.api_require(request, access.can_manage_lessons, denied=DENIED)
    course_obj = get_object_or_404(Course, slug=course) if course else None
    return {"lessons": [lesson_row(lesson) for lesson in studio_lessons(course=course_obj)]}


@router.post("/studio/lessons/{lesson_id}/uploads", response=studio_responses())
def lesson_upload_start_post(request, lesson_id: int, payload: UploadStartIn):
    access.api_require(request, access.can_manage_lessons, denied=DENIED)
    lesson = get_object_or_404(Lesson, pk=lesson_id)
    try:
        version, resumed = lesson_upload_start(
            lesson=lesson,
            filename=payload.filename,
            size=payload.size,
            uploaded_by=request.user,
            fingerprint=payload.fingerprint,
        )
        description = upload_description(version)
    except UploadError as exc:
        too_large = payload.size > settings.MEDIA_UPLOAD_MAX_BYTES
        raise upload_http_error(exc, 413 if too_large else 400) from exc
    return {**description, "resumed": resumed}


@router.post("/studio/lessons/{lesson_id}/preview", response=studio_responses())
def lesson_preview_post(request, lesson_id: int, payload: PreviewIn):
    access.api_require(request, access.can_manage_lessons, denied=DENIED)
    lesson = get_object_or_404(Lesson, pk=lesson_id)
    lesson_preview_set(lesson=lesson, is_preview=payload.is_preview)
    return {"id": lesson.pk, "is_preview": lesson.is_preview}


class TechniqueTimesIn(Schema):
    techniques: list[dict]


class TechniqueTimeOut(Schema):
    id: int
    number: int
    start_s: float | None
    end_s: float | None


class TechniqueTimesOut(Schema):
    techniques: list[TechniqueTimeOut]


class TechniqueTimesRefusedOut(Schema):
    detail: str
    errors: dict[str, str]


@router.post(
    "/studio/lessons/{lesson_id}/techniques",
    response=studio_responses(TechniqueTimesOut, {400: TechniqueTimesRefusedOut}),
    summary="Save the start and end times of a lesson's techniques (all or none)",
)
def lesson_technique_times_post(request, lesson_id: int, payload: TechniqueTimesIn):
    access.api_require(request, access.can_manage_lessons, denied=DENIED)
    lesson = get_object_or_404(
        Lesson.objects.select_related("video__current_version"), pk=lesson_id
    )
    try:
        saved = lesson_technique_times_save(lesson=lesson, times=payload.techniques)
    except ChapterTimesError as refused:
        errors = {str(pk): message for pk, message in refused.errors.items()}
        return Status(
            400, {"detail": "Some times were refused; nothing was saved.", "errors": errors}
        )
    rows = [{"id": t.pk, "number": t.number, "start_s": t.start_s, "end_s": t.end_s} for t in saved]
    return Status(200, {"techniques": rows})
