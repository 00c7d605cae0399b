"""Player settings: read and saved per learner; the rules of what a value may be, once.

The player applies them when any lesson opens (speed, quality, captions and language, mirror,
volume) and saves each change; anonymous preview viewers keep them in the browser only.
"""

from __future__ import annotations

import re

from courses.models import PlayerSettings

SPEEDS = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)  # the player's speed menu
FIELDS = ("speed", "quality", "captions", "captions_language", "mirror", "volume", "muted")
DEFAULTS = {
    "speed": 1.0, "quality": "auto", "captions": False, "captions_language": "",
    "mirror": False, "volume": 1.0, "muted": False,
}  # fmt: skip
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


class SettingsError(Exception):
    pass


def player_settings_get(*, user) -> dict:
    """The learner's settings (the defaults until they change one); anonymous: defaults."""
    if not user.is_authenticated:
        return dict(DEFAULTS)
    row = PlayerSettings.objects.filter(user=user).values(*FIELDS).first()
    return row or dict(DEFAULTS)


def _clean(name: str, value):
    if name == "speed":
        if isinstance(value, bool) or not isinstance(value, int | float) or value not in SPEEDS:
            raise SettingsError(f"speed must be one of {', '.join(f'{s:g}' for s in SPEEDS)}.")
        return float(value)
    if name == "quality":
        if value != "auto" and not (
            isinstance(value, str) and value.isdigit() and 0 < int(value) <= 4320
        ):
            raise SettingsError('quality must be "auto" or a picture height such as "720".')
        return value
    if name in ("captions", "mirror", "muted"):
        if not isinstance(value, bool):
            raise SettingsError(f"{name} must be true or false.")
        return value
    if name == "captions_language":
        if not isinstance(value, str) or (value and not _LANGUAGE.match(value)):
            raise SettingsError("captions_language must be a language tag such as en or pt-BR.")
        return value
    if name == "volume":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise SettingsError("volume must be between 0 and 1.")
        return round(float(value), 3)
    raise SettingsError(f"Unknown setting: {name}.")


def player_settings_save(*, user, changes: dict) -> dict:
    """Apply ``changes`` (any of the settings); all are checked before any is saved."""
    if not isinstance(changes, dict) or not changes:
        raise SettingsError("Send an object with the settings to change.")
    cleaned = {name: _clean(name, value) for name, value in changes.items()}
    row, _ = PlayerSettings.objects.get_or_create(user=user)
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.save(update_fields=[*cleaned, "updated_at"])
    return {name: getattr(row, name) for name in FIELDS}
