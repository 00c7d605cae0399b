"""Still frames of a finished version at given moments (technique cards print them).

One frame costs one segment: the rendition at or below 720p is already in storage as short
fMP4 segments, so the segment holding the moment is fetched with its init segment (together
a playable fragmented MP4) and one frame is decoded from it. The original is never read.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from media_pipeline.hls.bitrates import playlist_segments
from media_pipeline.models import VideoVersion
from media_pipeline.processing.download import download_rendition_choose
from media_pipeline.processing.encode.runner import (
    FFmpegFailed,
    FFmpegTimeout,
    ffmpeg_path,
    run_ffmpeg,
)
from media_pipeline.storage import object_exists, object_get_to_file, object_put_file

logger = logging.getLogger(__name__)
FRAME_TIMEOUT_S = 60


def frame_key(version: VideoVersion, t: float) -> str:
    return f"{version.output_prefix}frames/{round(t * 1000)}.jpg"


def _segment_at(playlist: str, t: float) -> tuple[str, float, str | None] | None:
    """(segment URI, its start time, init URI) of the segment playing at ``t``."""
    segments, _, init = playlist_segments(playlist)
    start = 0.0
    for segment in segments:
        if t < start + segment.duration_s or segment is segments[-1]:
            return segment.uri, start, init
        start += segment.duration_s
    return None


def version_frame_extract(*, version_id, t: float) -> str | None:
    """The key of the JPEG at ``t`` (made now unless stored already); None if the version
    is not ready or the frame cannot be made (logged: a card prints without it)."""
    version = VideoVersion.objects.filter(pk=version_id, state=VideoVersion.State.READY).first()
    if version is None or t < 0 or (version.duration_s and t > version.duration_s):
        return None
    key = frame_key(version, t)
    if object_exists(key):
        return key
    rendition = download_rendition_choose(list(version.renditions.all()))
    found = _segment_at(rendition.playlist, t) if rendition else None
    if found is None:
        return None
    segment, start, init = found
    base = rendition.playlist_key.rsplit("/", 1)[0]
    with tempfile.TemporaryDirectory(prefix="frame-") as tmp:
        folder = Path(tmp)
        joined = folder / "piece.mp4"
        with open(joined, "wb") as out:
            for name in ([init] if init else []) + [segment]:
                object_get_to_file(f"{base}/{name}", folder / "part")
                out.write((folder / "part").read_bytes())
        jpeg = folder / "frame.jpg"
        cmd = [
            ffmpeg_path(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
            "-progress", "pipe:1", "-nostats", "-protocol_whitelist", "file",
            "-f", "mp4", "-i", str(joined), "-ss", f"{max(0.0, t - start):.3f}",
            "-frames:v", "1", "-update", "1", "-q:v", "3", str(jpeg),
        ]  # fmt: skip
        try:
            run_ffmpeg(cmd, timeout_s=FRAME_TIMEOUT_S, on_progress=None, duration_s=1)
        except (FFmpegFailed, FFmpegTimeout) as exc:
            logger.warning("frame at %.3f s of %s skipped: %s", t, version_id, exc)
            return None
        if not jpeg.exists():
            return None
        object_put_file(jpeg, key)
    return key
