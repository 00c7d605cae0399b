"""The sweeper's part for uploads: nothing unfinished stays forever, nothing finished is lost."""

import logging
from datetime import timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.utils import timezone

from media_pipeline.models import VideoVersion
from media_pipeline.processing.versions import version_state_set
from media_pipeline.storage import bucket, s3_request_client
from media_pipeline.uploads.services import (
    StorageUnavailable,
    UploadError,
    multipart_abort,
    video_upload_complete,
)

logger = logging.getLogger(__name__)


def uploads_abandoned_sweep(*, now=None) -> dict[str, int]:
    """Uploads nobody finished within MEDIA_UPLOAD_ABANDONED_AFTER_S (run by the sweeper).

    One whose parts are all stored (the browser died before "complete"), or that storage
    assembled although its request died, is completed and processed: nothing is lost. The
    others are aborted, so their parts stop taking space, and marked failed with a reason.
    Multipart uploads under originals/ that no unfinished version owns (a crash between
    starting one and saving its row) are aborted once as old.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.MEDIA_UPLOAD_ABANDONED_AFTER_S)
    counts = {"recovered": 0, "aborted": 0, "orphans_aborted": 0}
    for version in VideoVersion.objects.filter(
        state=VideoVersion.State.UPLOADING, created_at__lt=cutoff
    ):
        try:
            video_upload_complete(version=version)
            counts["recovered"] += 1
            continue
        except StorageUnavailable:
            return counts  # the store is down: the next sweep tries again
        except UploadError:
            pass
        multipart_abort(version.original_key, version.upload_id)
        version_state_set(
            version,
            VideoVersion.State.FAILED,
            reason="The upload was never finished; its unfinished parts were deleted.",
        )
        counts["aborted"] += 1
    counts["orphans_aborted"] = _orphan_multiparts_abort(cutoff)
    return counts


def _orphan_multiparts_abort(cutoff) -> int:
    owned = set(
        VideoVersion.objects.filter(state=VideoVersion.State.UPLOADING).values_list(
            "upload_id", flat=True
        )
    )
    client = s3_request_client()
    aborted = 0
    paginator = client.get_paginator("list_multipart_uploads")
    try:
        for page in paginator.paginate(Bucket=bucket(), Prefix="originals/"):
            for upload in page.get("Uploads", []):
                if upload["UploadId"] in owned or upload["Initiated"] >= cutoff:
                    continue
                multipart_abort(upload["Key"], upload["UploadId"])
                aborted += 1
    except (BotoCoreError, ClientError) as exc:
        logger.warning("listing unfinished multipart uploads failed: %s", exc)
    return aborted
