"""Notes at moments of a lesson's video (mounted at /api/ by config/api.py).

Another learner's note is 404, never 403: a note id says nothing about whether it exists.
Session auth and CSRF as the progress API checks them (401 before 403 before 400).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from courses import access
from courses.learning.notes.selectors import lesson_notes, note_get
from courses.learning.notes.services import NoteError, note_create, note_delete, note_update
from courses.learning.progress.http import DetailOut, request_auth_denied, request_body
from courses.models import Lesson, LessonNote

router = Router(tags=["notes"])


class NoteOut(Schema):
    id: int
    lesson_id: int
    time_s: float
    body: str
    body_html: str
    technique_id: int | None


class NotesOut(Schema):
    notes: list[NoteOut]


NOTE_BODY = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "time_s": {"type": "number", "minimum": 0},
                        "body": {"type": "string", "maxLength": 5000},
                        "technique_id": {"type": ["integer", "null"]},
                    },
                }
            }
        }
    }
}


def note_out(note: LessonNote) -> dict:
    return {
        "id": note.pk,
        "lesson_id": note.lesson_id,
        "time_s": note.time_s,
        "body": note.body,
        "body_html": note.body_html,
        "technique_id": note.technique_id,
    }


def _lesson(request: HttpRequest, lesson_id: int):
    lesson = (
        Lesson.objects.select_related("course", "video__current_version")
        .filter(pk=lesson_id)
        .first()
    )
    if lesson is None or not access.can_take_notes(user=request.user, lesson=lesson):
        return None, Status(404, {"detail": "No such lesson to take notes on."})
    return lesson, None


@router.get(
    "/lessons/{lesson_id}/notes",
    response={200: NotesOut, 401: DetailOut, 404: DetailOut},
    summary="The learner's notes on a lesson, in time order",
)
def lesson_notes_get(request: HttpRequest, lesson_id: int):
    if not request.user.is_authenticated:
        return Status(401, {"detail": "Log in to see your notes."})
    lesson, denied = _lesson(request, lesson_id)
    if denied:
        return denied
    return Status(
        200, {"notes": [note_out(n) for n in lesson_notes(user=request.user, lesson=lesson)]}
    )


@router.post(
    "/lessons/{lesson_id}/notes",
    response={201: NoteOut, 400: DetailOut, 401: DetailOut, 403: DetailOut, 404: DetailOut},
    summary="Add a note (or a bookmark, without text) at a moment of the video",
    openapi_extra=NOTE_BODY,
)
def lesson_note_create(request: HttpRequest, lesson_id: int):
    payload, token = request_body(request)
    if denied := request_auth_denied(request, token):
        return denied
    lesson, denied = _lesson(request, lesson_id)
    if denied:
        return denied
    if not isinstance(payload, dict):
        return Status(400, {"detail": "The body must be a JSON object."})
    try:
        note = note_create(
            user=request.user,
            lesson=lesson,
            time_s=payload.get("time_s"),
            body=str(payload.get("body") or ""),
            technique_id=_technique_id(payload),
        )
    except NoteError as error:
        return Status(400, {"detail": str(error)})
    return Status(201, note_out(note))


def _technique_id(payload: dict):
    value = payload.get("technique_id")
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise NoteError("technique_id must be a technique's id or null.")


@router.patch(
    "/notes/{note_id}",
    response={200: NoteOut, 400: DetailOut, 401: DetailOut, 403: DetailOut, 404: DetailOut},
    summary="Change a note's text, time or technique",
    openapi_extra=NOTE_BODY,
)
def note_patch(request: HttpRequest, note_id: int):
    payload, token = request_body(request)
    if denied := request_auth_denied(request, token):
        return denied
    note = note_get(user=request.user, note_id=note_id)
    if note is None:
        return Status(404, {"detail": "No such note."})
    if not isinstance(payload, dict):
        return Status(400, {"detail": "The body must be a JSON object."})
    try:
        changes = {}
        if "technique_id" in payload:
            changes["technique_id"] = _technique_id(payload)
        note = note_update(
            note=note,
            body=None if payload.get("body") is None else str(payload["body"]),
            time_s=payload.get("time_s"),
            **changes,
        )
    except NoteError as error:
        return Status(400, {"detail": str(error)})
    return Status(200, note_out(note))


@router.delete(
    "/notes/{note_id}",
    response={200: DetailOut, 401: DetailOut, 403: DetailOut, 404: DetailOut},
    summary="Delete a note",
)
def note_remove(request: HttpRequest, note_id: int):
    _, token = request_body(request)
    if denied := request_auth_denied(request, token):
        return denied
    note = note_get(user=request.user, note_id=note_id)
    if note is None:
        return Status(404, {"detail": "No such note."})
    note_delete(note=note)
    return Status(200, {"detail": "Deleted."})
