"""State changes of a VideoVersion, its processing lease, and switching a Video to it."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from media_pipeline.models import Video, VideoVersion
from media_pipeline.processing.enqueue import version_process_enqueue
from media_pipeline.storage import object_exists

State = VideoVersion.State


def lease_ttl() -> timedelta:
    # A running job renews its lease every few seconds; one silent this long
    # belongs to a worker that died (kill -9, OOM, lost machine).
    return timedelta(seconds=settings.MEDIA_LEASE_TTL_S)


def version_state_set(
    version: VideoVersion, state: str, *, reason: str = "", fields: tuple[str, ...] = ()
) -> None:
    version.state = state
    version.state_reason = reason
    version.state_changed_at = timezone.now()
    version.save(update_fields=["state", "state_reason", "state_changed_at", *fields])


def _fail_out_of_attempts(version: VideoVersion) -> None:
    version.lease_token = None
    version.lease_heartbeat_at = None
    version_state_set(
        version,
        State.FAILED,
        reason=f"Processing stopped after {version.attempts} attempts; "
        "the original upload is kept and can be processed again.",
        fields=("lease_token", "lease_heartbeat_at"),
    )
    video_unpublish_failed(version=version)


def video_unpublish_failed(*, version: VideoVersion) -> bool:
    """A version that failed after being published early stops being served: it would stay
    an EVENT playlist without an end, which learners can never finish. The video goes back to
    its newest ready version (or to none, and the studio shows the failure). True if it did."""
    VideoVersion.objects.filter(pk=version.pk).update(playable=False)
    version.playable = False
    fallback = (
        VideoVersion.objects.filter(video_id=version.video_id, state=State.READY)
        .exclude(pk=version.pk).order_by("-ready_at").values_list("pk", flat=True).first()
    )  # fmt: skip
    updated = Video.objects.filter(pk=version.video_id, current_version=version).update(
        current_version=fallback
    )
    return updated == 1


def lease_acquire(*, version_id: uuid.UUID) -> tuple[VideoVersion, uuid.UUID] | None:
    """Claim a version for one processing run, or return None when it must not run.

    None when it is final, when another run holds a live lease (a duplicate
    delivery, even a simultaneous one), or when it has used all its attempts.
    """
    with transaction.atomic():
        version = VideoVersion.objects.select_for_update().filter(pk=version_id).first()
        if version is None or version.is_final or version.state == State.UPLOADING:
            return None
        now = timezone.now()
        if version.lease_token and version.lease_heartbeat_at > now - lease_ttl():
            return None
        if version.attempts >= settings.MEDIA_MAX_ATTEMPTS:
            _fail_out_of_attempts(version)
            return None
        version.attempts += 1
        version.lease_token = uuid.uuid4()
        version.lease_heartbeat_at = now
        version.save(update_fields=["attempts", "lease_token", "lease_heartbeat_at"])
        return version, version.lease_token


def lease_renew(
    *, version_id: uuid.UUID, token: uuid.UUID, progress_percent: float | None = None
) -> bool:
    """Renew the lease (and record progress); False when this run no longer owns it."""
    fields = {"lease_heartbeat_at": timezone.now()}
    if progress_percent is not None:
        fields["progress_percent"] = round(progress_percent, 1)
    return VideoVersion.objects.filter(pk=version_id, lease_token=token).update(**fields) == 1


def lease_release(*, version_id: uuid.UUID, token: uuid.UUID) -> None:
    VideoVersion.objects.filter(pk=version_id, lease_token=token).update(
        lease_token=None, lease_heartbeat_at=None
    )


def version_owned(*, version_id: uuid.UUID, token: uuid.UUID) -> VideoVersion | None:
    """The version locked FOR UPDATE if this run still owns it (call inside atomic())."""
    return VideoVersion.objects.select_for_update().filter(pk=version_id, lease_token=token).first()


def video_publish_early(*, version: VideoVersion) -> bool:
    """Serve a still-transcoding version when the video has nothing else to show.

    A replacement waits for `video_switch_to` instead: learners keep the old one.
    """
    updated = Video.objects.filter(
        Q(current_version__isnull=True) | Q(current_version__playable=False),
        pk=version.video_id,
    ).update(current_version=version)
    return updated == 1


def video_switch_to(*, version: VideoVersion) -> None:
    """Point the video at a ready version: one UPDATE, so every reader flips at once."""
    Video.objects.filter(pk=version.video_id).update(current_version=version)


def stuck_versions_requeue() -> dict[str, int]:
    """Re-queue versions whose processing died, fail those out of attempts.

    Never deletes anything: the original upload stays for a later retry. (Unfinished
    uploads are uploads.sweep's.)
    """
    now = timezone.now()
    stale_lease = now - lease_ttl()
    unclaimed_deadline = now - timedelta(seconds=settings.MEDIA_STUCK_AFTER_S)
    candidates = VideoVersion.objects.filter(state__in=VideoVersion.PROCESSING_STATES).filter(
        # A dead run: its lease went silent. A lost message: never claimed in time.
        Q(lease_token__isnull=False, lease_heartbeat_at__lt=stale_lease)
        | Q(lease_token__isnull=True, state_changed_at__lt=unclaimed_deadline)
    )
    counts = {"requeued": 0, "failed": 0}
    for version_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            version = VideoVersion.objects.select_for_update().get(pk=version_id)
            if version.state not in VideoVersion.PROCESSING_STATES:
                continue
            if version.lease_token and version.lease_heartbeat_at >= stale_lease:
                continue  # renewed since we looked
            version.lease_token = None
            version.lease_heartbeat_at = None
            if version.attempts >= settings.MEDIA_MAX_ATTEMPTS:
                _fail_out_of_attempts(version)
                counts["failed"] += 1
                continue
            # Restart the clock so the next sweep gives the new message time.
            version_state_set(version, State.UPLOADED, fields=("lease_token", "lease_heartbeat_at"))
            version_process_enqueue(version)
            counts["requeued"] += 1
    return counts


def version_retry(*, version: VideoVersion) -> bool:
    """Process a failed version again from its kept original (admin action)."""
    with transaction.atomic():
        version = VideoVersion.objects.select_for_update().get(pk=version.pk)
        if version.state != State.FAILED or not object_exists(version.original_key):
            return False
        version.attempts = 0
        version.lease_token = None
        version.progress_percent = 0
        version_state_set(
            version, State.UPLOADED, fields=("attempts", "lease_token", "progress_percent")
        )
        version_process_enqueue(version)
    return True
