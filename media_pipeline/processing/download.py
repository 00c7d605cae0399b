"""The offline copy of a version: one MP4 (H.264 + AAC, ``faststart``) remuxed, never
re-encoded, from the finished HLS rendition at or below 720p, stored beside the ladder.

Made for every version once its ladder is done (whether a course allows downloads is not
the pipeline's business), so allowing them later needs no reprocessing; a replacement makes
its own under its own prefix, and the old one goes when the old version's outputs are
purged. A failure is logged and skipped, never fatal: the lesson streams without it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from media_pipeline.hls.layout import PLAYLIST_NAME
from media_pipeline.models import Rendition
from media_pipeline.processing.encode.runner import (
    FFmpegFailed,
    FFmpegTimeout,
    ffmpeg_path,
    run_ffmpeg,
)
from media_pipeline.storage import object_put_file

logger = logging.getLogger(__name__)

DOWNLOAD_MAX_SHORT_SIDE = 720


@dataclass(frozen=True)
class StoredDownload:
    key: str
    size: int
    rendition: str


def download_rendition_choose(renditions: list[Rendition]) -> Rendition | None:
    """The best video rendition whose short side is at most 720 (the smallest if all are
    larger, which a ladder never has)."""
    videos = [r for r in renditions if r.kind == Rendition.Kind.VIDEO and r.segment_count]
    if not videos:
        return None
    short = lambda r: min(r.width, r.height) or r.height  # noqa: E731
    fitting = [r for r in videos if short(r) <= DOWNLOAD_MAX_SHORT_SIDE]
    return max(fitting, key=short) if fitting else min(videos, key=short)


def download_command(
    *, ffmpeg: str, video_playlist: Path, audio_playlist: Path | None, output: Path
) -> list[str]:
    """Copy the streams of the local HLS playlists into one MP4 with its index first."""
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
           "-progress", "pipe:1", "-nostats",
           "-protocol_whitelist", "file", "-i", str(video_playlist)]  # fmt: skip
    if audio_playlist is not None:
        cmd += ["-protocol_whitelist", "file", "-i", str(audio_playlist)]
    cmd += ["-map", "0:v:0"]
    if audio_playlist is not None:
        cmd += ["-map", "1:a:0"]
    cmd += [
        "-c",
        "copy",
        "-map_metadata",
        "-1",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(output),
    ]
    return cmd


def download_make(
    *, out_dir: Path, prefix: str, renditions: list[Rendition], duration_s: float
) -> StoredDownload | None:
    """Remux and store the download (``<prefix>download/<rung>.mp4``); None if it failed."""
    chosen = download_rendition_choose(renditions)
    if chosen is None:
        return None
    audio = next((r for r in renditions if r.kind == Rendition.Kind.AUDIO), None)
    output = out_dir / f"download-{chosen.name}.mp4"
    cmd = download_command(
        ffmpeg=ffmpeg_path(),
        video_playlist=out_dir / chosen.name / PLAYLIST_NAME,
        audio_playlist=out_dir / audio.name / PLAYLIST_NAME if audio else None,
        output=output,
    )
    try:
        run_ffmpeg(
            cmd,
            timeout_s=settings.MEDIA_ARTIFACT_TIMEOUT_S,
            on_progress=None,
            duration_s=duration_s,
        )
    except (FFmpegFailed, FFmpegTimeout) as exc:
        logger.warning("download copy skipped: %s", exc)
        return None
    key = f"{prefix}download/{chosen.name}.mp4"
    object_put_file(output, key)
    return StoredDownload(key=key, size=output.stat().st_size, rendition=chosen.name)
