"""Offline downloads of lesson videos, counted per learner and lesson."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from courses.models.catalog import Lesson


class LessonDownload(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_downloads"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="downloads_made")
    rendition = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="download_user_time")]

    def __str__(self) -> str:
        return f"{self.user_id} downloaded lesson {self.lesson_id} ({self.rendition})"
