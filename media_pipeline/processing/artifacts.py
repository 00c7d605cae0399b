"""Poster, seek-preview sprite and its WebVTT for a version.

Both read the original with cheap decodes (one frame; keyframes only). Processing
starts them once the first segments are published, so they overlap the ladder's
encode without delaying the moment a lesson becomes playable.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from media_pipeline.processing.encode.commands import (
    poster_command,
    sprite_plan,
    thumbnails_command,
    thumbnails_vtt,
)
from media_pipeline.processing.encode.runner import (
    FFmpegFailed,
    FFmpegTimeout,
    ffmpeg_path,
    run_ffmpeg,
)
from media_pipeline.processing.probe import ProbeResult
from media_pipeline.storage import object_put_bytes, objects_put_files

POSTER_NAME = "poster.jpg"
SPRITE_NAME = "thumbnails.jpg"
THUMBNAILS_VTT_NAME = "thumbnails.vtt"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredArtifacts:
    poster_key: str
    sprite_key: str
    thumbnails_vtt_key: str


def artifacts_make(
    *, source: Path, work_dir: Path, probe: ProbeResult, prefix: str
) -> StoredArtifacts:
    """Make and store them; a missing poster or sprite is not worth failing a lesson over."""
    ffmpeg = ffmpeg_path()
    poster, sprite = work_dir / POSTER_NAME, work_dir / SPRITE_NAME
    plan = sprite_plan(probe)
    jobs = [
        (
            poster,
            poster_command(
                ffmpeg=ffmpeg, input_path=str(source), output_path=str(poster), probe=probe
            ),
        ),
        (
            sprite,
            thumbnails_command(
                ffmpeg=ffmpeg,
                input_path=str(source),
                output_path=str(sprite),
                probe=probe,
                plan=plan,
            ),
        ),
    ]
    made: list[tuple[Path, str]] = []
    for path, cmd in jobs:
        try:
            run_ffmpeg(
                cmd,
                timeout_s=settings.MEDIA_ARTIFACT_TIMEOUT_S,
                on_progress=None,
                duration_s=probe.duration_s,
            )
        except (FFmpegFailed, FFmpegTimeout) as error:
            # A poster or sprite is never worth failing (and re-running) a lesson over.
            logger.warning("%s skipped: %s", path.name, error)
            continue
        if path.exists() and path.stat().st_size:
            made.append((path, prefix + path.name))
    objects_put_files(made)
    stored = {key.rsplit("/", 1)[1]: key for _, key in made}
    vtt_key = ""
    if SPRITE_NAME in stored:
        # Relative URL: the delivery layer rewrites it to a signed one per request.
        vtt = thumbnails_vtt(
            probe.duration_s, plan.interval_s, plan.tile_w, plan.tile_h, plan.columns, SPRITE_NAME
        )
        vtt_key = prefix + THUMBNAILS_VTT_NAME
        object_put_bytes(vtt.encode(), vtt_key)
    return StoredArtifacts(
        poster_key=stored.get(POSTER_NAME, ""),
        sprite_key=stored.get(SPRITE_NAME, ""),
        thumbnails_vtt_key=vtt_key,
    )
