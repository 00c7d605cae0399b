"""Clip generators and small builders for the media pipeline tests (no Django needed).

Clips are tiny (2-6 s, small sizes, x264 ultrafast) and generated once per session with the
same static ffmpeg the pipeline uses. lavfi sources are fine here: this is the test harness,
not the hardened transcode path.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from media_pipeline.hls.playlists import parse_attributes
from media_pipeline.processing.encode.runner import ffmpeg_path
from media_pipeline.processing.probe import ProbeResult


def run_ffmpeg_cli(*args: str) -> None:
    cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


def make_clip(
    path: Path,
    *,
    size: str = "1280x720",
    rate: str = "30",
    duration: float = 3,
    audio: bool = True,
    extra: tuple[str, ...] = (),
) -> Path:
    """H.264 (+ AAC) test pattern with a 1 s GOP, like phone footage."""
    args = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={duration}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={duration}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", rate]
    if audio:
        args += ["-c:a", "aac", "-b:a", "96k"]
    run_ffmpeg_cli(*args, *extra, str(path))
    return path


def make_rotated(src: Path, path: Path, degrees: int) -> Path:
    """Phone-style portrait: landscape pixels + a display matrix (``-display_rotation`` is the
    ffmpeg 7+ way; the old ``-metadata:s:v rotate=`` tag is ignored by modern muxers)."""
    run_ffmpeg_cli("-display_rotation", str(degrees), "-i", str(src), "-c", "copy", str(path))
    return path


def make_dvd(path: Path, *, duration: float = 3) -> Path:
    """NTSC DVD VOB: 720x480 anamorphic 16:9, interlaced MPEG-2 (TFF), AC-3 audio."""
    run_ffmpeg_cli(
        "-f", "lavfi", "-i", f"testsrc2=size=720x480:rate=30000/1001:duration={duration}",
        "-f", "lavfi", "-i", f"sine=sample_rate=48000:duration={duration}",
        "-vf", "setfield=tff",
        "-flags", "+ilme+ildct",
        "-target", "ntsc-dvd",
        "-aspect", "16:9",
        str(path),
    )  # fmt: skip
    return path


def make_truncated(src: Path, path: Path, *, faststart: bool = False) -> Path:
    """First half of a real MP4. Without faststart the moov (index) is at the end and lost;
    with faststart the index survives and promises media that is not there."""
    if faststart:
        tmp = path.with_suffix(".faststart.mp4")
        run_ffmpeg_cli("-i", str(src), "-c", "copy", "-movflags", "+faststart", str(tmp))
        src = tmp
    data = src.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def make_probe(**overrides: object) -> ProbeResult:
    base = dict(
        container="mov,mp4,m4a,3gp,3g2,mj2",
        duration_s=60.0,
        width=1920,
        height=1080,
        coded_width=1920,
        coded_height=1080,
        rotation=0,
        fps=30.0,
        video_codec="h264",
        interlaced=False,
        has_audio=True,
        audio_codec="aac",
        audio_channels=2,
        bit_rate=None,
        is_dvd_like=False,
        video_stream_index=0,
        audio_stream_index=1,
    )
    base.update(overrides)
    return ProbeResult(**base)  # type: ignore[arg-type]


def stream_infs(master: str) -> list[tuple[dict[str, str], str]]:
    lines = master.splitlines()
    return [
        (parse_attributes(line.split(":", 1)[1]), lines[i + 1])
        for i, line in enumerate(lines)
        if line.startswith("#EXT-X-STREAM-INF:")
    ]


def hls_playlist(secret: str) -> bytes:
    return (
        f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:1.0,\n{secret}\n#EXT-X-ENDLIST\n"
    ).encode()


def _chunk(fourcc: bytes, data: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def _list(kind: bytes, data: bytes) -> bytes:
    return _chunk(b"LIST", kind + data)


def gab2_avi(playlist: bytes) -> bytes:
    """The known exploit shape: a genuine AVI header with a text ('txts') stream whose GAB2
    subtitle packet carries an HLS playlist, which a vulnerable libavformat would hand to the hls
    demuxer as a nested input."""
    w, h = 224, 160
    avih = struct.pack("<14I", 40000, 0, 0, 0x10, 125, 0, 1, 0, w, h, 0, 0, 0, 0)
    strh = (
        b"txts"
        + b"\0\0\0\0"
        + struct.pack("<IHHIIIIIIII4h", 0, 0, 0, 0, 1, 25, 0, 125, 0, 0, 0, 0, 0, 0, 0)
    )
    strf = struct.pack("<IiiHHI6I", 40, w, h, 1, 24, 0, 0, 0, 0, 0, 0, 0)
    hdrl = _list(
        b"hdrl",
        _chunk(b"avih", avih) + _list(b"strl", _chunk(b"strh", strh) + _chunk(b"strf", strf)),
    )
    gab2 = b"GAB2\x00\x02\x00" + struct.pack("<I", 0) + struct.pack("<HI", 0, len(playlist))
    movi = _chunk(b"00tx", gab2 + playlist) + _chunk(b"00dc", b"\0" * 200) * 20
    body = b"AVI " + hdrl + _list(b"movi", movi)
    return b"RIFF" + struct.pack("<I", len(body)) + body


class Canary:
    """A FIFO that records whether anything ever opened it for reading.

    Opening a FIFO for writing with O_NONBLOCK fails (ENXIO) unless a reader has it open, so a
    thread polling that open detects any reader within milliseconds, then feeds it a line so the
    reader never blocks. Named ``.ts`` so that ffmpeg's own hls segment-extension check would
    *not* save us: only our whitelists do.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self.opened = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.002)
                continue
            self.opened.set()
            try:
                os.write(fd, b"TOPSECRET\n")
            except OSError:
                pass
            finally:
                os.close(fd)

    def was_opened(self, settle_s: float = 0.05) -> bool:
        return self.opened.wait(settle_s)

    def reset(self) -> None:
        self.opened.clear()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def normal_clip(clip_dir: Path) -> Path:
    """1280x720 30 fps, 3 s, H.264 + AAC in MP4."""
    return make_clip(clip_dir / "normal.mp4")


@pytest.fixture(scope="session")
def hls_clip(clip_dir: Path) -> Path:
    """854x480 15 fps, 6 s, with audio: long enough for a 4 s + 2 s segmentation."""
    return make_clip(clip_dir / "hls_src.mp4", size="854x480", rate="15", duration=6)


@pytest.fixture(scope="session")
def rotated_clip(clip_dir: Path) -> Path:
    """Landscape 854x480 pixels with a 90 degree display matrix: displays as 480x854."""
    src = make_clip(clip_dir / "rot_src.mp4", size="854x480", duration=3)
    return make_rotated(src, clip_dir / "rotated.mp4", 90)


@pytest.fixture(scope="session")
def portrait_clip(clip_dir: Path) -> Path:
    """True portrait 720x1280 pixels, no rotation."""
    return make_clip(clip_dir / "portrait.mp4", size="720x1280", duration=2)


@pytest.fixture(scope="session")
def noaudio_clip(clip_dir: Path) -> Path:
    """640x360 25 fps, 3 s, video only, Matroska."""
    return make_clip(clip_dir / "noaudio.mkv", size="640x360", rate="25", audio=False)


@pytest.fixture(scope="session")
def dvd_clip(clip_dir: Path) -> Path:
    return make_dvd(clip_dir / "VTS_01_1.VOB", duration=2)


@pytest.fixture(scope="session")
def highfps_clip(clip_dir: Path) -> Path:
    return make_clip(clip_dir / "1000fps.mp4", size="64x64", rate="1000", duration=0.5, audio=False)


@pytest.fixture(scope="session")
def cover_art_audio(clip_dir: Path) -> Path:
    """An .m4a with embedded cover art: its only 'video' stream is an attached picture."""
    cover = clip_dir / "cover.png"
    run_ffmpeg_cli("-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", str(cover))
    path = clip_dir / "song.m4a"
    run_ffmpeg_cli(
        "-f", "lavfi", "-i", "sine=duration=2", "-i", str(cover),
        "-map", "0:a", "-map", "1:v", "-c:a", "aac", "-c:v", "png",
        "-disposition:v", "attached_pic", str(path),
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def truncated_mp4(clip_dir: Path, normal_clip: Path) -> Path:
    return make_truncated(normal_clip, clip_dir / "truncated.mp4")


@pytest.fixture(scope="session")
def truncated_faststart_mp4(clip_dir: Path, hls_clip: Path) -> Path:
    return make_truncated(hls_clip, clip_dir / "truncated_faststart.mp4", faststart=True)


@pytest.fixture(scope="session")
def html_as_mp4(clip_dir: Path) -> Path:
    path = clip_dir / "download.mp4"
    path.write_text("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body/></html>\n")
    return path


@pytest.fixture(scope="session")
def png_as_mp4(clip_dir: Path, cover_art_audio: Path) -> Path:
    path = clip_dir / "picture.mp4"
    shutil.copy(clip_dir / "cover.png", path)
    return path


@pytest.fixture(scope="session")
def empty_file(clip_dir: Path) -> Path:
    path = clip_dir / "empty.mp4"
    path.write_bytes(b"")
    return path


@pytest.fixture(scope="session")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Canary]:
    c = Canary(tmp_path_factory.mktemp("secret") / "segment0.ts")
    yield c
    c.close()


@pytest.fixture(scope="session")
def playlist_as_avi(clip_dir: Path, canary: Canary) -> Path:
    path = clip_dir / "lecture.avi"
    path.write_bytes(hls_playlist(str(canary.path)))
    return path


@pytest.fixture(scope="session")
def playlist_m3u8(clip_dir: Path, canary: Canary) -> Path:
    """Same playlist with its honest extension: ffmpeg *would* run hls on this one."""
    path = clip_dir / "lecture.m3u8"
    path.write_bytes(hls_playlist(str(canary.path)))
    return path


@pytest.fixture(scope="session")
def gab2_exploit_avi(clip_dir: Path, canary: Canary) -> Path:
    path = clip_dir / "exploit.avi"
    path.write_bytes(gab2_avi(hls_playlist(str(canary.path))))
    return path
