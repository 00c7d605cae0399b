"""`{% load player %}`: what the player template needs from the server besides its URLs."""

import json

from django import template

from courses.learning.playback.preferences import player_settings_get

register = template.Library()


@register.simple_tag(takes_context=True)
def player_settings_json(context) -> str:
    """The signed-in learner's player settings as JSON (one query, once per page), for the
    player to apply when the lesson opens; "" for anonymous viewers (their browser keeps them)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    cached = getattr(request, "_player_settings_json", None)
    if cached is None:
        cached = json.dumps(player_settings_get(user=user))
        request._player_settings_json = cached
    return cached
