"""Poster and sprite failures are skipped, never fatal (issue: a timeout crashed the run)."""

import logging

from media_pipeline.processing.artifacts import artifacts_make
from media_pipeline.processing.probe import probe_media
from tests.media_pipeline.conftest import make_clip


def test_a_poster_or_sprite_timeout_is_skipped_not_fatal(tmp_path, seaweedfs, settings, caplog):
    clip = make_clip(tmp_path / "clip.mp4", size="320x240", duration=2)
    settings.MEDIA_ARTIFACT_TIMEOUT_S = 0  # the deadline has passed before ffmpeg can answer
    with caplog.at_level(logging.WARNING, logger="media_pipeline.processing.artifacts"):
        stored = artifacts_make(
            source=clip, work_dir=tmp_path, probe=probe_media(str(clip)), prefix="t/artifacts/"
        )
    assert (stored.poster_key, stored.sprite_key, stored.thumbnails_vtt_key) == ("", "", "")
    assert sum("skipped" in record.message for record in caplog.records) == 2
    settings.MEDIA_ARTIFACT_TIMEOUT_S = 60
    stored = artifacts_make(
        source=clip, work_dir=tmp_path, probe=probe_media(str(clip)), prefix="t/artifacts/"
    )
    assert stored.poster_key and stored.sprite_key and stored.thumbnails_vtt_key
