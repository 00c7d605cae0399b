"""Learner progress JSON besides the heartbeat (mounted at /api/ by config/api.py).

Session auth is checked here, not by ninja, so that the answers are in the order a
player can act on: 401 (log in) before 403 (CSRF, not enrolled) before 400.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from courses import access
from courses.learning.progress.http import DetailOut, request_auth_denied, request_body
from courses.learning.progress.selectors import course_progress_get, lesson_for_progress_get
from courses.learning.progress.services import (
    ProgressError,
    lesson_mark_complete,
    technique_practice_log,
)
from courses.models import Course, Lesson, Technique

router = Router(tags=["progress"])


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


def _lesson(request: HttpRequest, lesson_id: int):
    try:
        lesson = lesson_for_progress_get(lesson_id=lesson_id, user=request.user)
    except Lesson.DoesNotExist:
        return None, Status(404, {"detail": "No such lesson."})
    if not access.can_record(user=request.user, lesson=lesson):
        return None, Status(403, {"detail": "Enroll in the course to save your progress."})
    return lesson, None


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
    _, token = request_body(request)
    if denied := request_auth_denied(request, token):
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
    payload, token = request_body(request)
    if denied := request_auth_denied(request, token):
        return denied
    try:
        technique = Technique.objects.select_related("course").get(
            pk=technique_id, course__is_published=True
        )
    except Technique.DoesNotExist:
        return Status(404, {"detail": "No such technique."})
    if not access.can_record(user=request.user, course=technique.course):
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
    if not access.can_record(user=request.user, course=course):
        return Status(403, {"detail": "You are not enrolled in this course."})
    return Status(200, course_progress_get(user=request.user, course=course))


@router.get("/ping", response=PingOut, summary="Trivial answer (the benchmark's baseline)")
def ping(request: HttpRequest):
    """No database, no session: what the stack costs per request, for bench/ comparisons."""
    return {"ok": True}
