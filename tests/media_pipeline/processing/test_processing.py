"""End-to-end processing with real ffmpeg and a real SeaweedFS (no worker: called directly)."""

import threading
import time

import pytest

from media_pipeline.hls.playlists import playlist_files
from media_pipeline.models import Rendition, VideoVersion
from media_pipeline.processing.pipeline import version_process

pytestmark = pytest.mark.django_db(transaction=True)
State = VideoVersion.State


def _get(s3, bucket, key):
    obj = s3.get_object(Bucket=bucket, Key=key)
    return obj["Body"].read(), obj["ContentType"]


def _ready(upload_file, path, **kwargs) -> VideoVersion:
    version = upload_file(path, **kwargs)
    assert version_process(version_id=version.pk) == State.READY, version.state_reason
    version.refresh_from_db()
    return version


def _master_variants(master: str) -> list[tuple[str, str]]:
    lines = master.splitlines()
    return [
        (a, b) for a, b in zip(lines, lines[1:], strict=False) if a.startswith("#EXT-X-STREAM-INF")
    ]


def test_normal_upload_ends_ready_with_a_full_ladder(upload_file, normal_clip, seaweedfs):
    s3, bucket = seaweedfs["client"], seaweedfs["bucket"]
    version = _ready(upload_file, normal_clip)

    assert version.playable and version.progress_percent == 100
    assert version.video.current_version_id == version.pk
    assert version.duration_s == pytest.approx(3, abs=0.2)
    assert (version.width, version.height) == (1280, 720)
    videos = list(version.renditions.filter(kind=Rendition.Kind.VIDEO).order_by("-height"))
    assert [(r.name, r.width, r.height) for r in videos] == [
        ("720p", 1280, 720), ("480p", 854, 480), ("360p", 640, 360),
    ]  # fmt: skip
    assert all(r.complete and r.segment_count >= 1 for r in version.renditions.all())

    master, master_type = _get(s3, bucket, version.master_playlist_key)
    assert master_type == "application/vnd.apple.mpegurl"
    variants = _master_variants(master.decode())
    assert len(variants) == 3, "no audio-only variant may remain"
    for inf, _uri in variants:
        assert "BANDWIDTH=" in inf and "RESOLUTION=" in inf and 'CODECS="avc1' in inf
    for rendition in version.renditions.all():
        text, ctype = _get(s3, bucket, rendition.playlist_key)
        text = text.decode()
        assert ctype == "application/vnd.apple.mpegurl"
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
        assert text == rendition.playlist
        base = rendition.playlist_key.rsplit("/", 1)[0]
        for name in playlist_files(text):
            _body, ctype = _get(s3, bucket, f"{base}/{name}")
            assert ctype in ("video/mp4", "video/iso.segment")
    poster, ctype = _get(s3, bucket, version.poster_key)
    assert ctype == "image/jpeg" and poster[:2] == b"\xff\xd8"
    vtt, ctype = _get(s3, bucket, version.thumbnails_vtt_key)
    assert ctype == "text/vtt" and vtt.startswith(b"WEBVTT") and b"#xywh=" in vtt
    assert _get(s3, bucket, version.sprite_key)[1] == "image/jpeg"
    # The original upload stays, byte for byte.
    assert _get(s3, bucket, version.original_key)[0] == normal_clip.read_bytes()


def test_portrait_phone_video_comes_out_upright(upload_file, rotated_clip):
    version = _ready(upload_file, rotated_clip)
    top = version.renditions.filter(kind=Rendition.Kind.VIDEO).order_by("-height").first()
    assert (version.width, version.height) == (480, 854)
    assert top.height > top.width


def test_video_without_audio_has_no_audio_group(upload_file, noaudio_clip, seaweedfs):
    version = _ready(upload_file, noaudio_clip)
    assert not version.renditions.filter(kind=Rendition.Kind.AUDIO).exists()
    master, _ = _get(seaweedfs["client"], seaweedfs["bucket"], version.master_playlist_key)
    assert b"TYPE=AUDIO" not in master
    assert len(_master_variants(master.decode())) == 1


def test_dvd_source_is_deinterlaced_and_keeps_its_native_height(upload_file, dvd_clip):
    version = _ready(upload_file, dvd_clip)
    heights = sorted(
        version.renditions.filter(kind=Rendition.Kind.VIDEO).values_list("height", flat=True)
    )
    assert heights == [360, 480]
    assert version.probe["interlaced"] is True
    top = version.renditions.get(height=480)
    assert top.width == 854  # anamorphic 16:9 shown with square pixels


@pytest.mark.parametrize(
    ("fixture", "reason_words"),
    [
        ("html_as_mp4", "HTML"),
        ("truncated_mp4", "truncated"),
        ("playlist_as_avi", "playlist"),
        ("gab2_exploit_avi", ""),
    ],
)
def test_bad_input_is_rejected_and_the_original_kept(
    request, upload_file, seaweedfs, fixture, reason_words
):
    path = request.getfixturevalue(fixture)
    version = upload_file(path)
    assert version_process(version_id=version.pk) == State.REJECTED
    version.refresh_from_db()
    assert version.state == State.REJECTED
    assert reason_words.lower() in version.state_reason.lower()
    assert version.video.current_version is None
    assert not version.renditions.exists()
    body, _ = _get(seaweedfs["client"], seaweedfs["bucket"], version.original_key)
    assert body == path.read_bytes()
    keys = seaweedfs["client"].list_objects_v2(
        Bucket=seaweedfs["bucket"], Prefix=f"videos/{version.video_id}/"
    )
    assert keys.get("KeyCount", 0) == 0


def test_hostile_playlist_never_reads_the_local_file(request, upload_file, canary):
    canary.reset()
    for fixture in ("playlist_as_avi", "gab2_exploit_avi"):
        version = upload_file(request.getfixturevalue(fixture))
        version_process(version_id=version.pk)
    assert not canary.was_opened()


def test_two_runs_at_once_end_with_one_set_of_renditions(upload_file, normal_clip):
    version = upload_file(normal_clip)
    results = []
    barrier = threading.Barrier(2)

    def run():
        from django.db import connection

        barrier.wait()
        try:
            results.append(version_process(version_id=version.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) == sorted([State.READY, None], key=str)
    version.refresh_from_db()
    assert version.state == State.READY and version.attempts == 1
    assert version.renditions.count() == 4  # 3 video rungs + the shared audio
    # A late duplicate delivery changes nothing.
    assert version_process(version_id=version.pk) is None
    assert version.renditions.count() == 4


def _watch(version_pk, stop):
    """Sample (state, playable, the video's current version) until stopped.

    One SELECT per sample, so each sample is one consistent snapshot.
    """
    samples = []
    from django.db import connection

    try:
        while not stop.is_set():
            row = VideoVersion.objects.values_list(
                "state", "playable", "video__current_version_id"
            ).get(pk=version_pk)
            samples.append(row)
            time.sleep(0.05)
    finally:
        connection.close()
    return samples


def _process_while_watching(version):
    stop, samples = threading.Event(), []
    watcher = threading.Thread(target=lambda: samples.extend(_watch(version.pk, stop)))
    watcher.start()
    try:
        state = version_process(version_id=version.pk)
    finally:
        stop.set()
        watcher.join()
    return state, samples


def test_first_upload_is_playable_before_the_ladder_is_done(upload_file, hls_clip, settings):
    settings.MEDIA_X264_PRESET = "veryfast"  # slow enough to watch it publish early
    version = upload_file(hls_clip)
    state, samples = _process_while_watching(version)
    assert state == State.READY
    early = [s for s in samples if s[0] == State.TRANSCODING and s[1]]
    assert early, "the version should be playable while still transcoding"
    assert all(current == version.pk for _, _, current in early)
    version.refresh_from_db()
    assert version.playable_at < version.ready_at


def test_replacement_keeps_the_old_version_until_the_new_one_is_ready(
    upload_file, normal_clip, hls_clip, settings
):
    old = _ready(upload_file, normal_clip)
    settings.MEDIA_X264_PRESET = "veryfast"
    new = upload_file(hls_clip, video=old.video)
    state, samples = _process_while_watching(new)
    assert state == State.READY
    assert samples, "the watcher saw nothing"
    for sample_state, _playable, current in samples:
        expected = new.pk if sample_state == State.READY else old.pk
        assert current == expected
    old.video.refresh_from_db()
    assert old.video.current_version_id == new.pk
    old.refresh_from_db()
    assert old.state == State.READY  # the old version stays intact (purged only by command)
