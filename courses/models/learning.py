"""What learners did: watched ranges per lesson, techniques practised."""

from django.conf import settings
from django.db import models

from courses.models.catalog import Lesson, Technique

PRACTICE_NOTE_MAX_CHARS = 2000  # the form, the API and the column share this limit


class LessonProgress(models.Model):
    """What one learner has watched of one lesson, kept up to date by the player's heartbeats.

    Completion is not stored for video lessons: it is computed from `intervals` and
    the lesson's *current* video duration when read (see courses.learning.progress.rules), so a
    replaced video re-evaluates everyone without a data migration.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    # The union of watched [start_s, end_s] ranges: sorted, merged, capped in size.
    intervals = models.JSONField(default=list)
    watched_s = models.FloatField(default=0, help_text="Sum of the watched union, in seconds.")
    # Plays per 1-second bin, from each beat's own ranges (not the union): rewatches count.
    # Run-length: [[first_bin, stop_bin, plays], ...] (courses.intervals.heat_add).
    heat = models.JSONField(default=list)
    position_s = models.FloatField(default=0)
    # Which beat set position_s (client_ts in ms, else server time): the latest wins.
    position_ts = models.BigIntegerField(default=0)
    first_watched_at = models.DateTimeField(null=True, blank=True)
    last_watched_at = models.DateTimeField(null=True, blank=True)
    # Plausibility bookkeeping: when the last accepted beat arrived and the unspent
    # watch-time allowance it left (a token bucket, see courses.progress).
    last_beat_at = models.DateTimeField(null=True, blank=True)
    allowance_s = models.FloatField(default=0)
    recent_beat_ids = models.JSONField(default=list)
    # Bumped by every accepted beat: a beat is written only if the row is still at the
    # revision it read (compare-and-swap), so racing beats retry instead of losing data.
    revision = models.PositiveIntegerField(default=0)
    # Set by hand, and only counted, for lessons that have no video (theory lessons).
    marked_complete_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lessonprogress_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.lesson}"


class TechniquePractice(models.Model):
    """A learner's note that they practised a technique on a given day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="technique_practice"
    )
    technique = models.ForeignKey(Technique, on_delete=models.CASCADE, related_name="practice")
    practiced_on = models.DateField()
    note = models.TextField(blank=True, max_length=PRACTICE_NOTE_MAX_CHARS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-practiced_on", "-created_at"]
        indexes = [models.Index(fields=["user", "technique"])]

    def __str__(self) -> str:
        return f"{self.user} practised {self.technique} on {self.practiced_on}"
