"""A learner's notes and bookmarks at moments of a lesson's video: private to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from courses.models.catalog import Lesson, Technique

NOTE_MAX_CHARS = 5000


class LessonNote(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_notes"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="notes")
    # The moment in the video the note belongs to (seconds); a bookmark is a note without text.
    time_s = models.FloatField()
    body = models.TextField(blank=True, max_length=NOTE_MAX_CHARS)
    body_html = models.TextField(blank=True)  # courses.markup, COMMENT level, when saved
    technique = models.ForeignKey(
        Technique, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["lesson_id", "time_s", "id"]
        indexes = [models.Index(fields=["user", "lesson", "time_s"], name="note_user_lesson_time")]
        constraints = [
            models.CheckConstraint(condition=models.Q(time_s__gte=0), name="note_time_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} lesson {self.lesson_id} at {self.time_s:.1f}s"
