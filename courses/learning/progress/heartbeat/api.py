"""The player's heartbeat endpoint (mounted at /api/ by config/api.py).

Session auth is checked here, not by ninja, so that the answers are in the order a
player can act on: 401 (log in) before 403 (CSRF, not enrolled) before 400 (a
refused beat). Where the CSRF token may come from: courses.learning.progress.http.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from courses import access
from courses.learning.progress.heartbeat.selectors import beat_context_get
from courses.learning.progress.heartbeat.services import (
    BeatResult,
    beat_parse,
    progress_beat_write,
)
from courses.learning.progress.heartbeat.session_claims import (
    session_claim_get,
    session_claim_holds,
)
from courses.learning.progress.http import DetailOut, request_body, request_csrf_denied
from courses.learning.progress.rules import ProgressError

router = Router(tags=["progress"])


class BeatOut(Schema):
    watched_s: float
    watched_percent: float | None
    completed: bool
    position_s: float
    duplicate: bool
    # Ranges beyond what the wall time allowed: send them again with the next beat.
    deferred_ranges: list[list[float]]


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


@router.post(
    "/lessons/{lesson_id}/progress",
    response={200: BeatOut, 400: DetailOut, 401: DetailOut, 403: DetailOut, 404: DetailOut},
    summary="Record a player heartbeat",
    openapi_extra=BEAT_BODY,
)
def lesson_progress_beat(request: HttpRequest, lesson_id: int):
    """Position and the ranges played since the last beat; refused beats change nothing.

    Ranges beyond what could have been played since the previous beat are not refused:
    the first ones up to that allowance are recorded and the rest come back as
    ``deferred_ranges``, for the player to send again with its next beat.

    The busiest endpoint: one query reads the user, the lesson and the progress row
    (beat_context_get), one statement writes the row; the session comes from the
    cache. request.user is consulted only when the session needs more than the
    common check (see courses.learning.progress.heartbeat.session_claims).
    """
    payload, token = request_body(request)
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
    if denied := request_csrf_denied(request, token):
        return denied
    if context.lesson_id is None:
        return Status(404, {"detail": "No such lesson."})
    if not access.progress_recordable(is_staff=context.is_staff, enrolled=context.enrolled):
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
