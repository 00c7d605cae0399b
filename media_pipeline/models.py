"""A Video is what other apps point at; each upload is a new VideoVersion.

The Video switches `current_version` to a new version only when that version
can be played, so a replacement never interrupts learners watching the old one.
"""

import uuid

from django.conf import settings
from django.db import models


class Video(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=255, blank=True)
    current_version = models.ForeignKey(
        "VideoVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The version learners are served.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title or str(self.id)


class VideoVersion(models.Model):
    class State(models.TextChoices):
        UPLOADING = "uploading", "Uploading"
        UPLOADED = "uploaded", "Uploaded"
        PROBING = "probing", "Probing"
        TRANSCODING = "transcoding", "Transcoding"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"

    FINAL_STATES = (State.READY, State.FAILED, State.REJECTED)
    PROCESSING_STATES = (State.UPLOADED, State.PROBING, State.TRANSCODING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="versions")
    state = models.CharField(max_length=16, choices=State.choices, default=State.UPLOADING)
    state_reason = models.TextField(blank=True, help_text="Why it failed or was rejected.")
    progress_percent = models.FloatField(default=0)
    # True once the first segments of every rendition are stored: a first
    # upload is watchable long before the whole ladder is done.
    playable = models.BooleanField(default=False)

    # The original upload; kept whatever happens to processing.
    original_key = models.CharField(max_length=512, unique=True)
    original_filename = models.CharField(max_length=255)
    original_size = models.BigIntegerField()
    upload_id = models.CharField(max_length=255, blank=True, help_text="S3 multipart upload id")
    upload_part_size = models.BigIntegerField(default=0)
    upload_fingerprint = models.CharField(max_length=255, blank=True, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Processing bookkeeping: Celery redelivers without counting, so attempts
    # live here; the lease lets a duplicate delivery see that a run is alive.
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_heartbeat_at = models.DateTimeField(null=True, blank=True)

    probe = models.JSONField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    output_prefix = models.CharField(max_length=512, blank=True)
    master_playlist_key = models.CharField(max_length=512, blank=True)
    poster_key = models.CharField(max_length=512, blank=True)
    sprite_key = models.CharField(max_length=512, blank=True)
    thumbnails_vtt_key = models.CharField(max_length=512, blank=True)
    # The offline copy: an MP4 remuxed from the rendition at or below 720p (processing.download).
    download_key = models.CharField(max_length=512, blank=True)
    download_size = models.BigIntegerField(default=0)
    download_rendition = models.CharField(max_length=16, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    state_changed_at = models.DateTimeField(auto_now_add=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    playable_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "state_changed_at"])]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.get_state_display()})"

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES


class Rendition(models.Model):
    """One media playlist of a version: a video rung, or the audio shared by all rungs."""

    class Kind(models.TextChoices):
        VIDEO = "video", "Video"
        AUDIO = "audio", "Audio"

    version = models.ForeignKey(VideoVersion, on_delete=models.CASCADE, related_name="renditions")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.VIDEO)
    name = models.CharField(max_length=16)  # e.g. "720p", or "audio"
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    # BANDWIDTH / AVERAGE-BANDWIDTH of the master, the audio included for a video variant:
    # the ceiling (maxrate) while encoding, then the peak and mean segment bit rates measured
    # from what was produced (hls.bitrates); the average stays empty until then.
    bandwidth = models.PositiveIntegerField()
    average_bandwidth = models.PositiveIntegerField(null=True, blank=True)
    # This playlist's own files (segments and init segment) once complete, for the studio's
    # real bitrate and size per hour: with capped CRF they say what a rung really costs.
    size_bytes = models.PositiveBigIntegerField(default=0)
    media_duration_s = models.FloatField(default=0)
    codecs = models.CharField(max_length=64, blank=True)
    playlist_key = models.CharField(max_length=512)
    # The variant playlist as last stored: served (re-signed) per request by
    # the delivery views without a round trip to object storage.
    playlist = models.TextField(blank=True)
    segment_count = models.PositiveIntegerField(default=0)
    complete = models.BooleanField(default=False)

    class Meta:
        ordering = ["-height"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="rendition_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.width}×{self.height}"
