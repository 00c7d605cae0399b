"""Learner progress JSON (mounted at /api/ by config/api.py).

Session auth is checked here, not by ninja, so that the answers are in the
order a player can act on: 401 (log in) before 403 (CSRF, not enrolled) before
400 (a refused beat). CSRF is Django's own check (CsrfViewMiddleware: token
against the csrftoken cookie, plus the Origin/Referer checks); the only addition
is where the token may come from, because navigator.sendBeacon cannot set an
X-CSRFToken header:

- the X-CSRFToken header (fetch),
- "csrf_token" in the JSON body (sendBeacon with a text/plain or JSON Blob),
- the "csrfmiddlewaretoken" form field (sendBeacon with FormData/URLSearchParams,
  the beat itself as JSON in the "beat" field),
- the "csrf_token" query parameter.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from ninja.utils import check_csrf

from courses.models import Course, Lesson, Technique
from courses.progress_selectors import (
    beat_context_get,
    course_progress_get,
    lesson_for_progress_get,
    progress_can_record,
)
from courses.progress_services import (
    BeatResult,
    ProgressError,
    beat_parse,
    lesson_mark_complete,
    progress_beat_write,
    technique_practice_log,
)
from courses.selectors import user_is_enrolled
from courses.session_claims import session_claim_get, session_claim_holds

router = Router(tags=["progress"])

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class DetailOut(Schema):
    detail: str


class BeatOut(Schema):
    watched_s: float
    watched_percent: float | None
    completed: bool
    position_s: float
    duplicate: bool


class CompleteOut(Schema):
    lesson_id: int
    completed: bool


class PracticeIn(Schema):
    practiced_on: date | None = None
    note: str = ""


class PracticeOut(Schema):
    id: int
    technique: int
    practiced_on: date
    note: str
    practiced_count: int


class LessonRefOut(Schema):
    lesson_id: int
    number: int
    title: str
    position_s: float


class LessonProgressOut(Schema):
    lesson_id: int
    number: int
    title: str
    completed: bool
    watched_percent: float | None
    position_s: float


class TechniqueProgressOut(Schema):
    number: int
    name: str
    lesson_number: int
    watched: bool
    practiced_count: int


class CourseProgressOut(Schema):
    course: str
    percent: float
    # "continue" is a Python keyword: the attribute has a trailing underscore, the JSON not.
    continue_: LessonRefOut | None = Field(None, alias="continue")
    next_unwatched: LessonRefOut | None
    lessons: list[LessonProgressOut]
    techniques: list[TechniqueProgressOut]


class PingOut(Schema):
    ok: bool


BEAT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["position_s"],
                    "properties": {
                        "position_s": {"type": "number"},
                        "ranges": {
                            "type": "array",
                            "items": {
                                "type": "array",
                                "items": {"type": "number"},
                                "minItems": 2,
                                "maxItems": 2,
                            },
                        },
                        "playback_rate": {"type": "number", "default": 1},
                        "client_ts": {"type": "integer", "description": "ms since the epoch"},
                        "beat_id": {"type": "string", "maxLength": 64},
                        "csrf_token": {"type": "string"},
                    },
                }
            }
        },
    }
}


def _body(request: HttpRequest) -> tuple[object | None, str | None]:
    """(decoded JSON payload or None if unreadable, CSRF token found in the body)."""
    if request.content_type in FORM_TYPES:
        token = request.POST.get("csrfmiddlewaretoken")
        raw = request.POST.get("beat", "")
    else:
        token, raw = None, request.body
    try:
        payload = json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError):
        return None, token
    if isinstance(payload, dict) and token is None:
        token = payload.pop("csrf_token", None) or payload.pop("csrfmiddlewaretoken", None)
    return payload, token if isinstance(token, str) else None


def _auth(request: HttpRequest, token: str | None = None):
    """None if the user may go on, else the Status to answer with."""
    if not request.user.is_authenticated:
        return Status(401, {"detail": "Log in to save your progress."})
    return _csrf_denied(request, token)


def _csrf_denied(request: HttpRequest, token: str | None):
    """None if Django's CSRF check passes with the token from wherever it came, else a 403."""
    header = settings.CSRF_HEADER_NAME
    token = token or request.GET.get("csrf_token")
    if token and not request.META.get(header):
        # Hand the token to Django's own check as if it had come in the header.
        request.META[header] = token
    if check_csrf(request) is not None:
        return Status(403, {"detail": "CSRF check failed; reload the page and try again."})
    return None


def _lesson(request: HttpRequest, lesson_id: int):
    try:
        lesson = lesson_for_progress_get(lesson_id=lesson_id, user=request.user)
    except Lesson.DoesNotExist:
        return None, Status(404, {"detail": "No such lesson."})
    if not progress_can_record(user=request.user, lesson=lesson):
        return None, Status(403, {"detail": "Enroll in the course to save your progress."})
    return lesson, None


@router.post(
    "/lessons/{lesson_id}/progress",
    response={200: BeatOut, 400: DetailOut, 401: DetailOut, 403: DetailOut, 404: DetailOut},
    summary="Record a player heartbeat",
    openapi_extra=BEAT_BODY,
)
def lesson_progress_beat(request: HttpRequest, lesson_id: int):
    """Position and the ranges played since the last beat; refused beats change nothing.

    The busiest endpoint: one query reads the user, the lesson and the progress row
    (beat_context_get), one statement writes the row; the session comes from the
    cache. request.user is consulted only when the session needs more than the
    common check (see courses.session_claims).
    """
    payload, token = _body(request)
    claim = session_claim_get(request)
    if claim is None:
        return Status(401, {"detail": "Log in to save your progress."})
    context = beat_context_get(user_id=claim.user_id, lesson_id=lesson_id)
    if context is None:  # the session's user no longer exists
        return Status(401, {"detail": "Log in to save your progress."})
    if not session_claim_holds(
        claim, password=context.password, is_active=context.is_active
    ) and not (request.user.is_authenticated and request.user.pk == claim.user_id):
        return Status(401, {"detail": "Log in to save your progress."})
    if denied := _csrf_denied(request, token):
        return denied
    if context.lesson_id is None:
        return Status(404, {"detail": "No such lesson."})
    if not (context.is_staff or context.enrolled):
        return Status(403, {"detail": "Enroll in the course to save your progress."})
    if payload is None:
        return Status(400, {"detail": "The body is not valid JSON."})
    try:
        result = progress_beat_write(
            user_id=context.user_id,
            lesson_id=context.lesson_id,
            duration_s=context.duration_s,
            beat=beat_parse(payload),
            current=context.progress,
        )
    except ProgressError as error:
        return Status(400, {"detail": str(error)})
    return _beat_response(result)


def _beat_response(result: BeatResult) -> HttpResponse:
    """The 200 answer as BeatOut documents it, encoded here: ninja's response validation
    would cost the busiest endpoint more than its own logic (bench/test_progress_bench.py).
    """
    return HttpResponse(json.dumps(asdict(result)), content_type="application/json; charset=utf-8")


@router.post(
    "/lessons/{lesson_id}/complete",
    response={200: CompleteOut, 400: DetailOut, 401: DetailOut, 403: DetailOut, 404: DetailOut},
    summary="Mark a lesson without video as done",
)
def lesson_complete_mark(request: HttpRequest, lesson_id: int):
    return _mark(request, lesson_id, complete=True)


@router.delete(
    "/lessons/{lesson_id}/complete",
    response={200: CompleteOut, 400: DetailOut, 401: DetailOut, 403: DetailOut, 404: DetailOut},
    summary="Undo marking a lesson without video as done",
)
def lesson_complete_unmark(request: HttpRequest, lesson_id: int):
    return _mark(request, lesson_id, complete=False)


def _mark(request: HttpRequest, lesson_id: int, *, complete: bool):
    _, token = _body(request)
    if denied := _auth(request, token):
        return denied
    lesson, denied = _lesson(request, lesson_id)
    if denied:
        return denied
    try:
        lesson_mark_complete(user=request.user, lesson=lesson, complete=complete)
    except ProgressError as error:
        return Status(400, {"detail": str(error)})
    return Status(200, {"lesson_id": lesson.pk, "completed": complete})


@router.post(
    "/techniques/{technique_id}/practice",
    response={201: PracticeOut, 400: DetailOut, 401: DetailOut, 403: DetailOut, 404: DetailOut},
    summary="Log that the learner practised a technique",
)
def technique_practice(request: HttpRequest, technique_id: int):
    payload, token = _body(request)
    if denied := _auth(request, token):
        return denied
    try:
        technique = Technique.objects.select_related("course").get(
            pk=technique_id, course__is_published=True
        )
    except Technique.DoesNotExist:
        return Status(404, {"detail": "No such technique."})
    if not (request.user.is_staff or user_is_enrolled(user=request.user, course=technique.course)):
        return Status(403, {"detail": "Enroll in the course to log your practice."})
    if not isinstance(payload, dict):
        return Status(400, {"detail": "The body must be a JSON object."})
    try:
        data = PracticeIn.model_validate(payload)
        entry = technique_practice_log(
            user=request.user, technique=technique, practiced_on=data.practiced_on, note=data.note
        )
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        return Status(400, {"detail": str(error).splitlines()[0]})
    except ProgressError as error:
        return Status(400, {"detail": str(error)})
    count = technique.practice.filter(user=request.user).count()
    return Status(
        201,
        {
            "id": entry.pk,
            "technique": technique.number,
            "practiced_on": entry.practiced_on,
            "note": entry.note,
            "practiced_count": count,
        },
    )


@router.get(
    "/me/courses/{slug}/progress",
    response={200: CourseProgressOut, 401: DetailOut, 403: DetailOut, 404: DetailOut},
    by_alias=True,
    summary="The learner's progress in a course",
)
def my_course_progress(request: HttpRequest, slug: str):
    if not request.user.is_authenticated:
        return Status(401, {"detail": "Log in to see your progress."})
    try:
        course = Course.objects.get(slug=slug, is_published=True)
    except Course.DoesNotExist:
        return Status(404, {"detail": "No such course."})
    if not (request.user.is_staff or user_is_enrolled(user=request.user, course=course)):
        return Status(403, {"detail": "You are not enrolled in this course."})
    return Status(200, course_progress_get(user=request.user, course=course))


@router.get("/ping", response=PingOut, summary="Trivial answer (the benchmark's baseline)")
def ping(request: HttpRequest):
    """No database, no session: what the stack costs per request, for bench/ comparisons."""
    return {"ok": True}
