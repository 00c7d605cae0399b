"""The learner's player settings as JSON (mounted at /api/ by config/api.py)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from courses.learning.playback.preferences import (
    SettingsError,
    player_settings_get,
    player_settings_save,
)
from courses.learning.progress.http import DetailOut, request_auth_denied, request_body

router = Router(tags=["playback"])


class PlayerSettingsOut(Schema):
    speed: float
    quality: str
    captions: bool
    captions_language: str
    mirror: bool
    volume: float
    muted: bool


SETTINGS_BODY = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "speed": {"type": "number", "enum": [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]},
                        "quality": {"type": "string"},
                        "captions": {"type": "boolean"},
                        "captions_language": {"type": "string", "maxLength": 16},
                        "mirror": {"type": "boolean"},
                        "volume": {"type": "number", "minimum": 0, "maximum": 1},
                        "muted": {"type": "boolean"},
                    },
                }
            }
        }
    }
}


@router.get(
    "/me/player-settings",
    response={200: PlayerSettingsOut, 401: DetailOut},
    url_name="player_settings",
    summary="The learner's player settings",
)
def player_settings_read(request: HttpRequest):
    if not request.user.is_authenticated:
        return Status(401, {"detail": "Log in to keep player settings."})
    return Status(200, player_settings_get(user=request.user))


@router.patch(
    "/me/player-settings",
    response={200: PlayerSettingsOut, 400: DetailOut, 401: DetailOut, 403: DetailOut},
    summary="Change some of the learner's player settings",
    openapi_extra=SETTINGS_BODY,
)
def player_settings_change(request: HttpRequest):
    payload, token = request_body(request)
    if denied := request_auth_denied(request, token):
        return denied
    if isinstance(payload, dict):
        payload.pop("csrf_token", None)
    try:
        return Status(200, player_settings_save(user=request.user, changes=payload))
    except SettingsError as error:
        return Status(400, {"detail": str(error)})
