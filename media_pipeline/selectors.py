"""Read-side queries for video versions."""

import uuid

from media_pipeline.formatting import bitrate_label, duration_label, size_label
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
        "renditions": rendition_costs(renditions),
        "size_per_hour_label": _size_per_hour_label(renditions),
        "created_at": version.created_at.isoformat(),
    }


# A rung whose real average ends up this close to the next one up looks no different from it;
# it is kept for bandwidth adaptation, and the studio says so.
NEAR_RUNG_RATIO = 0.85


def _average_bitrate(rendition: Rendition) -> int | None:
    if not rendition.size_bytes or rendition.media_duration_s <= 0:
        return None  # not measured yet: still encoding, or encoded before measuring existed
    return round(8 * rendition.size_bytes / rendition.media_duration_s)


def rendition_costs(renditions: list[Rendition]) -> list[dict]:
    """Each video rung, best first, with what it really costs once the ladder is done: its
    average bit rate and bytes, and whether it is within 15 % of the rung above."""
    rows = []
    above: int | None = None
    above_name = ""
    for r in sorted(renditions, key=lambda r: r.width * r.height, reverse=True):
        average = _average_bitrate(r)
        near = bool(average and above and average >= NEAR_RUNG_RATIO * above)
        rows.append(
            {
                "name": r.name,
                "width": r.width,
                "height": r.height,
                "complete": r.complete,
                "average_bitrate": average,
                "bitrate_label": bitrate_label(average) if average else "",
                "size_bytes": r.size_bytes,
                "near_rung_above": above_name if near else "",
            }
        )
        above, above_name = average, r.name
    return rows


def _size_per_hour_label(renditions: list[Rendition]) -> str:
    """Storage per hour of video of the whole video ladder (the audio is a few MB more)."""
    measured = [r for r in renditions if _average_bitrate(r)]
    if not measured or len(measured) != len(renditions):
        return ""
    per_hour = sum(r.size_bytes * 3600 / r.media_duration_s for r in measured)
    return f"{size_label(per_hour)} per hour"


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
