"""Playback JSON, chapters and captions for the lesson player (mounted at /api/).

Session auth, checked here rather than by ninja: anonymous visitors may play
preview lessons. Every answer carries signed, per-viewer data, so none may be
stored by a browser or a shared cache.
"""

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from courses.access import ALLOWED, LOGIN_REQUIRED, lesson_access
from courses.learning.playback.links import enroll_url, login_url
from courses.learning.playback.selectors import LessonNotPlayable, lesson_for_playback_get
from courses.learning.playback.services import GrantsRateLimited, lesson_playback
from courses.learning.playback.vtt import chapters_vtt, lesson_caption_vtt
from courses.models import Lesson

router = Router(tags=["playback"])

NO_STORE = "private, no-store"


class CaptionOut(Schema):
    language: str
    label: str
    url: str


class PlaybackOut(Schema):
    lesson_id: int
    master_url: str
    chapters_url: str
    thumbnails_url: str | None
    poster_url: str | None
    captions: list[CaptionOut]
    duration_s: float | None
    resume_at_s: float | None
    expires_at: datetime
    state: str


class DetailOut(Schema):
    detail: str


class LoginRequiredOut(Schema):
    detail: str
    login_url: str


class EnrollRequiredOut(Schema):
    detail: str
    enroll_url: str


class NotPlayableOut(Schema):
    detail: str
    state: str


def _denied(request: HttpRequest, lesson: Lesson, access: str) -> Status:
    if access == LOGIN_REQUIRED:
        return Status(
            401, {"detail": "Log in to watch this lesson.", "login_url": login_url(lesson)}
        )
    url = enroll_url(lesson)
    course_url = request.build_absolute_uri(url.split("#", 1)[0])
    return Status(
        403,
        {
            "detail": f"Enroll in {lesson.course.title} to watch this lesson: {course_url}",
            "enroll_url": url,
        },
    )


def _lesson(lesson_id: int) -> Lesson | None:
    try:
        return lesson_for_playback_get(lesson_id=lesson_id)
    except Lesson.DoesNotExist:
        return None


def _text(status: int, body: str, content_type: str = "text/plain; charset=utf-8") -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=content_type)
    response["Cache-Control"] = NO_STORE
    return response


@router.get(
    "/lessons/{lesson_id}/playback",
    response={
        200: PlaybackOut,
        401: LoginRequiredOut,
        403: EnrollRequiredOut,
        404: DetailOut,
        409: NotPlayableOut,
        429: DetailOut,
    },
    url_name="lesson_playback",
    summary="Signed playback URLs for a lesson video",
)
def lesson_playback_get(request: HttpRequest, lesson_id: int, response: HttpResponse):
    response["Cache-Control"] = NO_STORE
    lesson = _lesson(lesson_id)
    if lesson is None:
        return Status(404, {"detail": "Lesson not found."})
    access = lesson_access(user=request.user, lesson=lesson)
    if access != ALLOWED:
        return _denied(request, lesson, access)
    try:
        return Status(200, lesson_playback(request=request, lesson=lesson))
    except LessonNotPlayable as error:
        return Status(409, {"detail": error.detail, "state": error.state})
    except GrantsRateLimited as error:
        return Status(429, {"detail": str(error)})


def _vtt_or_error(request: HttpRequest, lesson_id: int, build) -> HttpResponse:
    """Same access rules as playback; errors as plain text (a <track> cannot read JSON)."""
    lesson = _lesson(lesson_id)
    if lesson is None:
        return _text(404, "Lesson not found.")
    access = lesson_access(user=request.user, lesson=lesson)
    if access != ALLOWED:
        denied = _denied(request, lesson, access)
        return _text(denied.status_code, denied.value["detail"])
    vtt = build(lesson)
    if vtt is None:
        return _text(404, "No captions in this language.")
    return _text(200, vtt, "text/vtt; charset=utf-8")


def _text_responses(what: str) -> dict:
    """The answers of a track URL, documented: WebVTT, or why not as plain text."""
    text = {"schema": {"type": "string"}}
    plain = {"text/plain": text}
    return {
        "responses": {
            200: {"description": what, "content": {"text/vtt": text}},
            401: {"description": "Log in to watch this lesson (a paid one).", "content": plain},
            403: {"description": "Enroll in the course to watch this lesson.", "content": plain},
            404: {"description": "No such lesson, or nothing in this language.", "content": plain},
        }
    }


@router.get(
    "/lessons/{lesson_id}/chapters.vtt",
    url_name="lesson_chapters",
    summary="The lesson's techniques as a WebVTT chapters track",
    response={200: None},
    openapi_extra=_text_responses("The chapters (WebVTT)."),
)
def lesson_chapters_get(request: HttpRequest, lesson_id: int):
    return _vtt_or_error(request, lesson_id, chapters_vtt)


@router.get(
    "/lessons/{lesson_id}/captions/{language}.vtt",
    url_name="lesson_caption",
    summary="Captions for the lesson video in one language (WebVTT)",
    response={200: None},
    openapi_extra=_text_responses("The captions (WebVTT)."),
)
def lesson_caption_get(request: HttpRequest, lesson_id: int, language: str):
    return _vtt_or_error(
        request, lesson_id, lambda lesson: lesson_caption_vtt(lesson=lesson, language=language)
    )
