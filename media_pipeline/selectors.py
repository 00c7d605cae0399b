"""Read-side queries for video versions."""

import uuid

from media_pipeline.formatting import duration_label
from media_pipeline.models import Rendition, VideoVersion


def version_get(*, version_id: uuid.UUID) -> VideoVersion | None:
    return VideoVersion.objects.filter(pk=version_id).select_related("video").first()


def version_status(version: VideoVersion) -> dict:
    """What the studio, the admin and the CLI show about a version's processing."""
    renditions = list(version.renditions.filter(kind=Rendition.Kind.VIDEO))
    return {
        "id": str(version.pk),
        "video_id": str(version.video_id),
        "state": version.state,
        "state_label": version.get_state_display(),
        "reason": version.state_reason,
        "progress_percent": version.progress_percent,
        "playable": version.playable,
        "is_final": version.is_final,
        "is_current": version.video.current_version_id == version.pk,
        "attempts": version.attempts,
        "original_filename": version.original_filename,
        "original_size": version.original_size,
        "duration_s": version.duration_s,
        "width": version.width,
        "height": version.height,
        "renditions": [
            {"name": r.name, "width": r.width, "height": r.height, "complete": r.complete}
            for r in renditions
        ],
        "created_at": version.created_at.isoformat(),
    }


def version_outcome_line(version: VideoVersion) -> str:
    """One line in words, e.g. 'ready: 4 renditions, 12:41' or 'rejected: not a video file'."""
    if version.state == VideoVersion.State.READY:
        count = version.renditions.filter(kind=Rendition.Kind.VIDEO).count()
        plural = "s" if count != 1 else ""
        duration = duration_label(version.duration_s, missing="--:--")
        return f"ready: {count} rendition{plural}, {duration}"
    if version.state in (VideoVersion.State.FAILED, VideoVersion.State.REJECTED):
        return f"{version.state}: {version.state_reason}"
    return f"{version.state}: {version.progress_percent:.0f}%"
