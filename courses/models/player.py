"""A learner's player settings, kept on the server so they follow them to another device."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PlayerSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="player_settings"
    )
    speed = models.FloatField(default=1.0)
    quality = models.CharField(max_length=8, default="auto")  # "auto" or a rung's height
    captions = models.BooleanField(default=False)
    captions_language = models.CharField(max_length=16, blank=True, default="")
    mirror = models.BooleanField(default=False)
    volume = models.FloatField(default=1.0)
    muted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"player settings of {self.user_id}"
