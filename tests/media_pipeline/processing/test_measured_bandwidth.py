"""The master playlist states what the ladder really produced (issue: capped CRF).

BANDWIDTH is the peak segment bit rate of a variant with its audio and AVERAGE-BANDWIDTH the
mean, measured once the ladder is done; while it is still encoding, the ceiling (the rung's
maxrate plus the audio) and no average. Real ffmpeg and SeaweedFS; the peak is recomputed here
from the stored objects' sizes, independently of media_pipeline.hls.bitrates.
"""

import threading
import time

import pytest
from django.db import connection

from media_pipeline.hls.layout import AUDIO_BITRATE
from media_pipeline.hls.master import master_playlist_render
from media_pipeline.models import Rendition, VideoVersion
from media_pipeline.processing.encode.ladder import ladder_for
from media_pipeline.processing.pipeline import version_process
from media_pipeline.processing.probe import probe_media
from tests.media_pipeline.conftest import stream_infs

pytestmark = pytest.mark.django_db(transaction=True)


def _segment_rates(s3, bucket, rendition: Rendition) -> list[tuple[float, int]]:
    """(seconds, bits per second) of each stored media segment."""
    text = s3.get_object(Bucket=bucket, Key=rendition.playlist_key)["Body"].read().decode()
    base = rendition.playlist_key.rsplit("/", 1)[0]
    lines = text.splitlines()
    rates = []
    for line, uri in zip(lines, lines[1:], strict=False):
        if line.startswith("#EXTINF:"):
            seconds = float(line.split(":", 1)[1].split(",", 1)[0])
            size = s3.head_object(Bucket=bucket, Key=f"{base}/{uri}")["ContentLength"]
            rates.append((seconds, 8 * size / seconds))
    return rates


def test_master_states_the_measured_peak_and_mean(upload_file, hls_clip, seaweedfs):
    s3, bucket = seaweedfs["client"], seaweedfs["bucket"]
    version = upload_file(hls_clip)
    assert version_process(version_id=version.pk) == VideoVersion.State.READY
    version.refresh_from_db()
    renditions = {r.name: r for r in version.renditions.all()}
    audio = _segment_rates(s3, bucket, renditions.pop("audio"))
    audio_peak = max(rate for _, rate in audio)
    stored = s3.get_object(Bucket=bucket, Key=version.master_playlist_key)["Body"].read().decode()
    variants = stream_infs(stored)
    assert {uri.split("/")[0] for _, uri in variants} == set(renditions)
    ceilings = {r.name: r.maxrate + AUDIO_BITRATE for r in ladder_for(probe_media(str(hls_clip)))}
    for attrs, uri in variants:
        rendition = renditions[uri.split("/")[0]]
        video = _segment_rates(s3, bucket, rendition)
        # The 6 s clip is cut 4 s + 2 s: every segment is at least half the target duration,
        # so each one on its own is a window of RFC 8216's peak segment bit rate.
        assert min(seconds for seconds, _ in video) >= 2 - 0.05
        peak = max(rate for _, rate in video) + audio_peak
        bandwidth = int(attrs["BANDWIDTH"])
        assert peak <= bandwidth <= peak * 1.01 + 1, (rendition.name, bandwidth, peak)
        # Measured: not the ceiling a row starts with (a burst may even exceed the maxrate
        # for a segment, which the VBV buffer allows; the peak then says so).
        assert bandwidth != ceilings[rendition.name]
        seconds = sum(s for s, _ in video)
        mean = sum(s * rate for s, rate in video) / seconds + sum(
            s * rate for s, rate in audio
        ) / sum(s for s, _ in audio)
        average = int(attrs["AVERAGE-BANDWIDTH"])
        assert mean * 0.99 <= average <= bandwidth
        assert rendition.size_bytes > 0 and rendition.media_duration_s == pytest.approx(6, abs=0.2)
    # What players get through delivery is built from the same rows.
    delivered = stream_infs(master_playlist_render(version.renditions.all()))
    assert sorted(a["AVERAGE-BANDWIDTH"] for a, _ in delivered) == sorted(
        a["AVERAGE-BANDWIDTH"] for a, _ in variants
    )


def test_while_encoding_the_master_states_the_ceiling(upload_file, hls_clip, settings):
    settings.MEDIA_X264_PRESET = "veryfast"  # slow enough to see it published early
    version = upload_file(hls_clip)
    ceilings = {r.name: r.maxrate + AUDIO_BITRATE for r in ladder_for(probe_media(str(hls_clip)))}
    stop, early = threading.Event(), []

    def watch() -> None:
        try:
            while not stop.is_set():
                state, playable = VideoVersion.objects.values_list("state", "playable").get(
                    pk=version.pk
                )
                if state == VideoVersion.State.TRANSCODING and playable:
                    videos = Rendition.objects.filter(version=version, kind="video")
                    early.append(master_playlist_render(videos.filter(segment_count__gt=0)))
                time.sleep(0.05)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        assert version_process(version_id=version.pk) == VideoVersion.State.READY
    finally:
        stop.set()
        watcher.join()
    assert early, "the version should be playable while still transcoding"
    for master in early:
        for attrs, uri in stream_infs(master):
            if "AVERAGE-BANDWIDTH" in attrs:
                continue  # sampled in the instant between the measurement and READY
            assert int(attrs["BANDWIDTH"]) == ceilings[uri.removesuffix(".m3u8")]
