from __future__ import annotations

import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from media_pipeline.processing.encode.runner import ffmpeg_path
from media_pipeline.processing.probe import (
    FORMAT_WHITELIST,
    ProbeLimits,
    ProbeRejected,
    hms,
    probe_media,
    sniff,
)


def rejected(path: Path, limits: ProbeLimits | None = None) -> str:
    with pytest.raises(ProbeRejected) as info:
        probe_media(str(path), limits)
    return info.value.reason


# --------------------------------------------------------------------------- good files


def test_normal_mp4(normal_clip: Path) -> None:
    r = probe_media(str(normal_clip))
    assert r.container.startswith("mov,mp4")
    assert r.demuxer == "mov"
    assert (r.width, r.height, r.coded_width, r.coded_height) == (1280, 720, 1280, 720)
    assert r.rotation == 0
    assert r.fps == pytest.approx(30)
    assert r.duration_s == pytest.approx(3, abs=0.1)
    assert r.video_codec == "h264"
    assert not r.interlaced and not r.is_dvd_like
    assert r.has_audio and r.audio_codec == "aac" and r.audio_channels == 1
    assert r.bit_rate and r.bit_rate > 0
    assert r.sample_aspect_ratio == 1
    assert r.display_aspect_ratio == pytest.approx(16 / 9)


def test_rotated_phone_video_reports_display_orientation(rotated_clip: Path) -> None:
    r = probe_media(str(rotated_clip))
    assert r.rotation in (90, 270)
    assert (r.coded_width, r.coded_height) == (854, 480)
    assert (r.width, r.height) == (480, 854)
    assert r.display_aspect_ratio == pytest.approx(480 / 854)


def test_true_portrait(portrait_clip: Path) -> None:
    r = probe_media(str(portrait_clip))
    assert (r.width, r.height, r.rotation) == (720, 1280, 0)


def test_no_audio_mkv(noaudio_clip: Path) -> None:
    r = probe_media(str(noaudio_clip))
    assert r.container.startswith("matroska")
    assert not r.has_audio and r.audio_codec is None and r.audio_stream_index is None
    assert r.fps == pytest.approx(25)


def test_dvd_vob_is_interlaced_anamorphic_sd(dvd_clip: Path) -> None:
    r = probe_media(str(dvd_clip))
    assert r.container == "mpeg"
    assert r.video_codec == "mpeg2video"
    assert (r.width, r.height) == (720, 480)
    assert r.interlaced and r.is_dvd_like
    assert r.sample_aspect_ratio == Fraction(32, 27)  # 16:9 NTSC
    assert r.display_aspect_ratio == pytest.approx(16 / 9)
    assert r.fps == pytest.approx(29.97, abs=0.01)
    assert r.has_audio and r.audio_codec == "ac3"


# --------------------------------------------------------------------------- bad files


def test_empty_file(empty_file: Path) -> None:
    assert rejected(empty_file) == "empty file"


def test_html_renamed_mp4(html_as_mp4: Path) -> None:
    assert rejected(html_as_mp4) == "not a video file (HTML document)"


def test_png_renamed_mp4(png_as_mp4: Path) -> None:
    assert rejected(png_as_mp4) == "not a video file (image (PNG))"


def test_cover_art_only_is_not_a_video(cover_art_audio: Path) -> None:
    assert rejected(cover_art_audio) == "no video stream"


def test_truncated_mp4_without_moov(truncated_mp4: Path) -> None:
    assert rejected(truncated_mp4) == "file is truncated or corrupt (moov atom missing)"


def test_truncated_faststart_mp4(truncated_faststart_mp4: Path) -> None:
    reason = rejected(truncated_faststart_mp4)
    assert reason.startswith("file is truncated or corrupt (video data stops at")


def test_nonexistent_file(tmp_path: Path) -> None:
    assert rejected(tmp_path / "nope.mp4").startswith("file cannot be read")


def test_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.avi"
    path.write_text("Lecture 3 notes\nbring a laptop\n")
    assert rejected(path) == "not a video file (plain text)"


def test_duration_limit(normal_clip: Path) -> None:
    reason = rejected(normal_clip, ProbeLimits(max_duration_s=2))
    assert reason == "duration 0:00:03 exceeds the 0:00:02 limit"


def test_resolution_limit(normal_clip: Path) -> None:
    reason = rejected(normal_clip, ProbeLimits(max_width=640, max_height=360))
    assert reason == "resolution 1280×720 exceeds the 640×360 limit"


def test_portrait_4k_passes_pixel_count_limit(portrait_clip: Path) -> None:
    # 720x1280 against a 1280x720 limit: same pixel count, so it is accepted.
    probe_media(str(portrait_clip), ProbeLimits(max_width=1280, max_height=720))


def test_absurd_frame_rate(highfps_clip: Path) -> None:
    assert rejected(highfps_clip) == "absurd frame rate (1000 fps)"


def test_durations_in_reasons() -> None:
    assert hms(5 * 3600 + 3) == "5:00:03"
    assert hms(4 * 3600) == "4:00:00"


# --------------------------------------------------------------------------- hostile files


def test_hls_playlist_disguised_as_avi(playlist_as_avi: Path, canary) -> None:
    canary.reset()
    assert rejected(playlist_as_avi) == "not a video file (HLS playlist)"
    assert not canary.was_opened()


def test_hls_playlist_m3u8(playlist_m3u8: Path, canary) -> None:
    canary.reset()
    assert rejected(playlist_m3u8) == "not a video file (HLS playlist)"
    assert not canary.was_opened()


def test_gab2_avi_exploit(gab2_exploit_avi: Path, canary) -> None:
    canary.reset()
    assert rejected(gab2_exploit_avi) == "not a video file (contains an embedded HLS playlist)"
    assert not canary.was_opened()


def test_libav_layer_blocks_hls_even_without_sniffing(playlist_m3u8: Path, canary) -> None:
    """Bypass the byte sniffing: the libav open options alone must stop the hls demuxer."""
    from media_pipeline.processing import probe

    canary.reset()
    with pytest.raises(ProbeRejected) as info:
        probe._open(str(playlist_m3u8), b"")
    assert "unsupported container" in info.value.reason
    assert not canary.was_opened()


def test_canary_detects_a_real_read(playlist_m3u8: Path, canary) -> None:
    """Control experiment: plain ffmpeg does follow the playlist, so the canary is meaningful."""
    canary.reset()
    subprocess.run(
        [
            ffmpeg_path(),
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(playlist_m3u8),
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        timeout=30,
    )
    assert canary.was_opened(settle_s=1)
    canary.reset()


def test_ffmpeg_cli_with_whitelist_does_not_follow_playlist(playlist_m3u8: Path, canary) -> None:
    canary.reset()
    for forced in ([], ["-f", "hls"], ["-f", "avi"]):
        proc = subprocess.run(
            [
                ffmpeg_path(),
                "-nostdin",
                "-loglevel",
                "error",
                "-protocol_whitelist",
                "file",
                "-format_whitelist",
                FORMAT_WHITELIST,
                *forced,
                "-i",
                str(playlist_m3u8),
                "-f",
                "null",
                "-",
            ],  # fmt: skip
            capture_output=True,
            timeout=30,
        )
        assert proc.returncode != 0
    assert not canary.was_opened(settle_s=0.2)


# --------------------------------------------------------------------------- sniffing / fuzzing


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"", "empty file"),
        (
            b"\xef\xbb\xbf#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n",
            "not a video file (HLS playlist)",
        ),
        (b"ffconcat version 1.0\nfile '/etc/passwd'\n", "not a video file (concat playlist)"),
        (b"  <html><body>", "not a video file (HTML document)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "not a video file (PDF document)"),
        (b"PK\x03\x04\x14\x00", "not a video file (zip archive)"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "not a video file (image (JPEG))"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "not a video file (image (HEIF/AVIF))"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", None),
        (b"\x1a\x45\xdf\xa3\x01\x00\x00\x00", None),
    ],
)
def test_sniff(head: bytes, reason: str | None) -> None:
    assert sniff(head) == reason


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_damaged_files_only_raise_probe_rejected(normal_clip: Path, data: st.DataObject) -> None:
    """Random damage to a real MP4 (and random junk) never escapes as anything else."""
    original = normal_clip.read_bytes()
    kind = data.draw(st.sampled_from(["junk", "flip", "cut"]))
    if kind == "junk":
        blob = data.draw(st.binary(min_size=0, max_size=4096))
    elif kind == "cut":
        blob = original[: data.draw(st.integers(0, len(original)))]
    else:
        blob = bytearray(original)
        for _ in range(data.draw(st.integers(1, 50))):
            # The header and the index (moov, at the end without faststart) matter most.
            pos = data.draw(st.integers(0, 4096) | st.integers(len(blob) - 4096, len(blob) - 1))
            blob[pos] = data.draw(st.integers(0, 255))
        blob = bytes(blob)
    with tempfile.NamedTemporaryFile(suffix=".mp4") as fh:
        fh.write(blob)
        fh.flush()
        try:
            probe_media(fh.name)
        except ProbeRejected as exc:
            assert exc.reason
