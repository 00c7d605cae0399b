"""Inspect an uploaded file and decide whether the transcoder may touch it.

Uploads are hostile input. The main risks and how this module handles them:

* Reference-following demuxers (``hls``, ``concat``, ``image2`` patterns, playlists...) make
  ffmpeg open *other* files or URLs named inside the upload - the classic "upload an .avi that is
  really an m3u8 and get /etc/passwd rendered into the video" SSRF/LFI. We never let such a
  demuxer run: libavformat is given ``format_whitelist`` (checked right after format detection and
  *before* ``read_header``, which is where hls/concat open their references) and
  ``protocol_whitelist=file``. The whitelist is copied into nested demuxers too (e.g. AVI GAB2
  subtitle sub-demuxers), so the "AVI header wrapping a playlist" variant is covered as well.
* Obvious non-videos are recognised from their first bytes before libav sees them, so users get
  a useful reason ("HTML document", "HLS playlist", "image", ...).
* Broken files (MP4 cut in half, missing moov, no decodable frames) and absurd parameters
  (8K, 1000 fps, 10 hours) are rejected with a human readable reason.

Everything that goes wrong with the *input* surfaces as :class:`ProbeRejected`.

Longer than the other modules on purpose: it is one job (may this file be transcoded, and what
is in it) whose checks share the sniffed head, the open container and the limits; split up,
the order of the checks (sniff, whitelisted open, streams, limits, head decode, tail) would no
longer read in one place.
"""

from __future__ import annotations

import errno
import math
import os
from dataclasses import dataclass
from fractions import Fraction

import av
import av.error

from media_pipeline.formatting import duration_label

# Demuxers we accept (ffmpeg short names). libavformat's matcher compares each
# comma-separated component, so "mov" accepts the "mov,mp4,m4a,3gp,3g2,mj2" demuxer and
# "matroska" accepts "matroska,webm".
ALLOWED_DEMUXERS: tuple[str, ...] = (
    "mov",  # MOV/MP4/3GP from phones and cameras
    "matroska",  # MKV, WebM
    "avi",
    "mpeg",  # MPEG-PS: VOB from DVDs, .mpg
    "mpegts",  # MTS/M2TS (AVCHD), broadcast .ts
    "dv",
    "flv",
    "asf",  # WMV/ASF
    "mxf",  # professional cameras
    "ogg",  # Theora
)
FORMAT_WHITELIST = ",".join(ALLOWED_DEMUXERS)

# Options for avformat_open_input: no protocol but plain files, no demuxer outside the list.
OPEN_OPTIONS: dict[str, str] = {
    "protocol_whitelist": "file",
    "format_whitelist": FORMAT_WHITELIST,
}

SNIFF_BYTES = 1 << 20  # enough to find an embedded playlist near the start of the file
HEAD_DECODE_FRAMES = 6  # frames decoded at the start (rotation, interlacing, decodability)
MAX_PROBE_PACKETS = 400  # bound the work spent decoding a hostile file
TAIL_WINDOW_S = 5.0  # how far before the end the truncation check seeks
MAX_TAIL_PACKETS = 5000  # demux-only; ~80 s at 60 fps, far more than one GOP + window

# AVFieldOrder values: 0 unknown, 1 progressive, 2..5 the interlaced variants.
_INTERLACED_FIELD_ORDERS = {2, 3, 4, 5}


class ProbeRejected(Exception):
    """The upload cannot be transcoded; ``reason`` is safe to show to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ProbeLimits:
    max_duration_s: float = 4 * 3600
    max_width: int = 3840
    max_height: int = 2160
    max_side: int = 8192  # either side, so a 2160x3840 portrait passes but 100x20000 does not
    max_fps: float = 120
    min_fps: float = 1


@dataclass(frozen=True)
class ProbeResult:
    container: str  # libavformat demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    duration_s: float
    width: int  # display orientation (after rotation), storage pixels (before SAR)
    height: int
    coded_width: int  # as stored in the stream, before rotation
    coded_height: int
    rotation: int  # 0, 90, 180 or 270 (counter-clockwise, as in the display matrix)
    fps: float
    video_codec: str
    interlaced: bool
    has_audio: bool
    audio_codec: str | None
    audio_channels: int | None
    bit_rate: int | None  # overall container bit rate
    is_dvd_like: bool
    sample_aspect_ratio: Fraction = Fraction(1)  # of the coded frame
    video_bit_rate: int | None = None
    video_stream_index: int = 0  # absolute stream index, for "-map 0:<index>"
    audio_stream_index: int | None = None
    pix_fmt: str | None = None

    @property
    def demuxer(self) -> str:
        """Short demuxer name usable with ``ffmpeg -f``."""
        return self.container.split(",")[0]

    @property
    def display_aspect_ratio(self) -> float:
        """Width/height as shown to the viewer: SAR applied, then rotation."""
        dar = self.coded_width * self.sample_aspect_ratio / self.coded_height
        return float(1 / dar) if self.rotation in (90, 270) else float(dar)


def probe_media(path: str, limits: ProbeLimits | None = None) -> ProbeResult:
    """Probe ``path`` or raise :class:`ProbeRejected` with a user-facing reason."""
    limits = limits or ProbeLimits()
    try:
        return _probe(path, limits)
    except ProbeRejected:
        raise
    except Exception as exc:  # libav can fail in many ways on hostile input
        raise ProbeRejected(f"file is truncated or corrupt ({_short(exc)})") from exc


# --------------------------------------------------------------------------- sniffing


def sniff(head: bytes) -> str | None:
    """Return why ``head`` (the first bytes of a file) is not a video, or None if it may be."""
    if not head:
        return "empty file"
    reason = _sniff_binary(head) or _sniff_text(head)
    if reason:
        return f"not a video file ({reason})"
    if b"#EXTM3U" in head and (b"#EXTINF" in head or b"#EXT-X-" in head):
        # A real camera file never contains a playlist; a crafted container wrapping one does.
        return "not a video file (contains an embedded HLS playlist)"
    return None


def _sniff_text(head: bytes) -> str | None:
    text = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = text[:1024].lower()
    if text.startswith(b"#EXTM3U"):
        return "HLS playlist"
    if text.startswith(b"ffconcat") or lower.startswith(b"file '"):
        return "concat playlist"
    if lower.startswith((b"[playlist]", b"#extm3u", b"<asx", b"<smil")):
        return "playlist"
    if lower.startswith(b"<") and (b"<html" in lower or b"<!doctype html" in lower):
        return "HTML document"
    if b"<mpd" in lower[:512]:
        return "DASH manifest"
    if b"<svg" in lower[:512]:
        return "image (SVG)"
    if lower.startswith(b"<?xml"):
        return "XML document"
    if _looks_like_text(head[:4096]):
        return "plain text"
    return None


def _looks_like_text(sample: bytes) -> bool:
    if b"\x00" in sample:
        return False
    try:
        decoded = sample.decode("utf-8")
    except UnicodeDecodeError:
        # A cut in the middle of a multi-byte sequence at the end is still text.
        try:
            decoded = sample[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in decoded)
    return printable >= 0.95 * max(len(decoded), 1)


_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "zip archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\x7fELF", "executable"),
    (b"\x89PNG\r\n\x1a\n", "image (PNG)"),
    (b"\xff\xd8\xff", "image (JPEG)"),
    (b"GIF87a", "image (GIF)"),
    (b"GIF89a", "image (GIF)"),
    (b"II*\x00", "image (TIFF)"),
    (b"MM\x00*", "image (TIFF)"),
    (b"\x00\x00\x00\x0cjP  ", "image (JPEG 2000)"),
    (b"ID3", "audio file (MP3)"),
    (b"fLaC", "audio file (FLAC)"),
)
# ISO-BMFF brands of still images: libavformat's mov demuxer would happily open these.
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}


def _sniff_binary(head: bytes) -> str | None:
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            return what
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image (WebP)"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio file (WAV)"
    if head[4:8] == b"ftyp" and head[8:12] in _IMAGE_BRANDS:
        return "image (HEIF/AVIF)"
    return None


def _is_iso_bmff(head: bytes) -> bool:
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")


def _has_moov(path: str, head: bytes) -> bool:
    """An MP4 written without faststart keeps its index (moov) at the end: an upload cut short
    has none, which is by far the most common way phone uploads arrive broken."""
    if b"moov" in head:
        return True
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - SNIFF_BYTES))
            return b"moov" in fh.read(SNIFF_BYTES)
    except OSError:
        return False


def _looks_like_video_container(head: bytes) -> bool:
    """Magic numbers of the containers we accept (used to word open() failures)."""
    return (
        _is_iso_bmff(head)
        or head.startswith(b"\x1a\x45\xdf\xa3")  # EBML (Matroska/WebM)
        or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
        or head.startswith(b"\x00\x00\x01\xba")  # MPEG-PS pack header
        or (head[:1] == b"\x47" and head[188:189] == b"\x47")  # MPEG-TS
        or (head[4:5] == b"\x47" and head[196:197] == b"\x47")  # M2TS (192-byte packets)
        or head.startswith(b"FLV")
        or head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11")  # ASF
        or head.startswith(b"\x06\x0e\x2b\x34")  # MXF
        or head.startswith(b"OggS")
    )


# --------------------------------------------------------------------------- probing


def _probe(path: str, limits: ProbeLimits) -> ProbeResult:
    head = _read_head(path)
    reason = sniff(head)
    if reason:
        raise ProbeRejected(reason)
    container = _open(path, head)
    try:
        return _inspect(container, limits)
    finally:
        container.close()


def _read_head(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise ProbeRejected(f"file cannot be read ({exc.strerror or exc})") from exc


def file_url(path: str) -> str:
    """``file:`` URL for a local path, so that a name like ``concat:a|b`` or ``subfile,,...`` can
    never be parsed as a protocol specification by libavformat."""
    return "file:" + os.path.abspath(path)


def _open(path: str, head: bytes) -> av.container.InputContainer:
    try:
        return av.open(file_url(path), mode="r", format=None, container_options=dict(OPEN_OPTIONS))
    except av.error.FFmpegError as exc:
        if _is_iso_bmff(head) and not _has_moov(path, head):
            raise ProbeRejected("file is truncated or corrupt (moov atom missing)") from exc
        if _looks_like_video_container(head):
            raise ProbeRejected(f"file is truncated or corrupt ({_short(exc)})") from exc
        if exc.errno == errno.EINVAL:
            # What a demuxer outside format_whitelist yields ("Format not on whitelist").
            raise ProbeRejected("not a video file (unsupported container format)") from exc
        raise ProbeRejected("not a video file (unrecognised format)") from exc


def _inspect(container: av.container.InputContainer, limits: ProbeLimits) -> ProbeResult:
    fmt = container.format.name
    # Belt and braces: libav already enforced format_whitelist.
    if not set(fmt.split(",")) & set(ALLOWED_DEMUXERS):
        raise ProbeRejected(f"not a video file (unsupported container format {fmt})")
    video = _pick_video_stream(container)
    audio = _pick_audio_stream(container)
    vcc = video.codec_context
    coded_w, coded_h = int(vcc.width or 0), int(vcc.height or 0)
    if coded_w <= 0 or coded_h <= 0:
        raise ProbeRejected("file is truncated or corrupt (video stream has no frame size)")
    duration = _duration_s(container, video)
    fps = _fps(video)
    _check_limits(duration, coded_w, coded_h, fps, limits)

    rotation, frame_interlaced = _decode_head(container, video)
    _check_tail(container, video, duration)

    interlaced = frame_interlaced or int(vcc.field_order or 0) in _INTERLACED_FIELD_ORDERS
    swap = rotation in (90, 270)
    sar = video.sample_aspect_ratio or vcc.sample_aspect_ratio
    return ProbeResult(
        container=fmt,
        duration_s=duration,
        width=coded_h if swap else coded_w,
        height=coded_w if swap else coded_h,
        coded_width=coded_w,
        coded_height=coded_h,
        rotation=rotation,
        fps=fps,
        video_codec=vcc.name,
        interlaced=interlaced,
        has_audio=audio is not None,
        audio_codec=audio.codec_context.name if audio else None,
        audio_channels=audio.codec_context.channels if audio else None,
        bit_rate=container.bit_rate or None,
        is_dvd_like=_is_dvd_like(coded_w, coded_h, interlaced),
        sample_aspect_ratio=Fraction(sar) if sar and sar > 0 else Fraction(1),
        video_bit_rate=video.bit_rate or vcc.bit_rate or None,
        video_stream_index=video.index,
        audio_stream_index=audio.index if audio else None,
        pix_fmt=vcc.pix_fmt,
    )


def _pick_video_stream(container: av.container.InputContainer) -> av.VideoStream:
    for stream in container.streams.video:
        # Cover art in an .m4a/.mp3-in-mkv is a one-frame "video" stream: not a video.
        if stream.disposition & av.stream.Disposition.attached_pic:
            continue
        if _has_decoder(stream):
            return stream
    raise ProbeRejected("no video stream")


def _pick_audio_stream(container: av.container.InputContainer) -> av.AudioStream | None:
    for stream in container.streams.audio:
        # An undecodable or channel-less track is treated as "no audio" rather than failing the
        # whole transcode on it.
        if _has_decoder(stream) and (stream.codec_context.channels or 0) > 0:
            return stream
    return None


def _has_decoder(stream: av.stream.Stream) -> bool:
    try:
        return stream.codec_context is not None and stream.codec_context.codec is not None
    except (av.error.FFmpegError, ValueError):
        return False


def _duration_s(container: av.container.InputContainer, video: av.VideoStream) -> float:
    if container.duration and container.duration > 0:
        return container.duration / av.time_base
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    raise ProbeRejected("file is truncated or corrupt (duration unknown)")


def _fps(video: av.VideoStream) -> float:
    for rate in (video.average_rate, video.guessed_rate, video.base_rate):
        if rate and rate > 0:
            return float(rate)
    raise ProbeRejected("file is truncated or corrupt (frame rate unknown)")


def _check_limits(duration: float, w: int, h: int, fps: float, limits: ProbeLimits) -> None:
    if duration > limits.max_duration_s:
        limit = hms(limits.max_duration_s)
        raise ProbeRejected(f"duration {hms(duration)} exceeds the {limit} limit")
    if duration < 0.1:
        raise ProbeRejected("file is truncated or corrupt (duration is zero)")
    if w * h > limits.max_width * limits.max_height or max(w, h) > limits.max_side:
        raise ProbeRejected(
            f"resolution {w}×{h} exceeds the {limits.max_width}×{limits.max_height} limit"
        )
    if not limits.min_fps <= fps <= limits.max_fps:
        raise ProbeRejected(f"absurd frame rate ({fps:.4g} fps)")


def _decode_head(container: av.container.InputContainer, video: av.VideoStream) -> tuple[int, bool]:
    """Decode the first frames: proves decodability, yields rotation and interlacing."""
    frames = _decode_some(container, video, HEAD_DECODE_FRAMES)
    if not frames:
        raise ProbeRejected("file is truncated or corrupt (no decodable video frames)")
    rotation = _normalise_rotation(frames[0].rotation)
    if rotation == 0:
        # Old muxers stored rotation as a "rotate" tag instead of a display matrix.
        rotation = _normalise_rotation(_safe_float(video.metadata.get("rotate")))
    return rotation, any(f.interlaced_frame for f in frames)


def _check_tail(container: av.container.InputContainer, video: av.VideoStream, dur: float) -> None:
    """Seek close to the end and demux to EOF: catches files cut short whose index still promises
    the full length (e.g. a faststart MP4 truncated by an interrupted upload)."""
    tb = video.time_base
    vdur = float(video.duration * tb) if video.duration and tb else dur
    vstart = float(video.start_time * tb) if video.start_time is not None and tb else 0.0
    length = min(dur, vdur)
    if length < 1 or tb is None:
        return  # the head decode already covered a tiny clip
    try:
        container.seek(_tail_seek_target(container, length), backward=True, any_frame=False)
    except av.error.FFmpegError as exc:
        raise ProbeRejected(f"file is truncated or corrupt (cannot seek: {_short(exc)})") from exc
    last_ts, saw_keyframe, decoded = _scan_tail(container, video)
    if saw_keyframe and not decoded:
        raise ProbeRejected("file is truncated or corrupt (the end of the video cannot be decoded)")
    expected_end = vstart + length
    # Tolerance: containers round durations and audio may outlast the video a little.
    tolerance = min(2.0, max(0.5, 0.1 * length))
    if last_ts is not None and last_ts < expected_end - tolerance:
        raise ProbeRejected(
            f"file is truncated or corrupt (video data stops at {hms(last_ts - vstart)}"
            f" of {hms(length)})"
        )


def _tail_seek_target(container: av.container.InputContainer, length: float) -> int:
    # Close to the end (bounded demux work even for a 4-hour file) but far enough back that the
    # window holds a keyframe in ordinary GOP structures. Some demuxers (MPEG-PS) do not seek to
    # keyframes, so the window has to contain one by itself.
    offset = max(length - TAIL_WINDOW_S, 0.0)
    return (container.start_time or 0) + int(offset * av.time_base)


def _scan_tail(
    container: av.container.InputContainer, video: av.VideoStream
) -> tuple[float | None, bool, bool]:
    """Demux (cheap) to EOF tracking the last timestamp; decode (expensive) from the first
    keyframe only until one frame comes out. Returns (last_ts, saw_keyframe, decoded)."""
    last_ts: float | None = None
    saw_keyframe = decoded = False
    tb = video.time_base
    try:
        for n, packet in enumerate(container.demux(video)):
            if n > MAX_TAIL_PACKETS:
                return None, saw_keyframe, True  # long tail: plenty of data, stop looking
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is None or packet.size == 0:
                continue
            end = float((ts + (packet.duration or 0)) * tb)
            last_ts = end if last_ts is None else max(last_ts, end)
            saw_keyframe = saw_keyframe or packet.is_keyframe
            if saw_keyframe and not decoded:
                decoded = _decodes(packet)
    except av.error.FFmpegError:
        pass  # EOF-ish errors on a damaged tail: judged by what we saw
    if saw_keyframe and not decoded:
        decoded = _flush_decodes(video)
    return last_ts, saw_keyframe, decoded


def _decodes(packet: av.Packet) -> bool:
    try:
        return bool(packet.decode())
    except av.error.FFmpegError:
        return False


def _flush_decodes(video: av.VideoStream) -> bool:
    # Frames may still sit in the decoder's reorder buffer.
    try:
        return bool(video.codec_context.decode(None))
    except av.error.FFmpegError:
        return False


def _decode_some(
    container: av.container.InputContainer, video: av.VideoStream, wanted: int
) -> list[av.VideoFrame]:
    frames: list[av.VideoFrame] = []
    packets = 0
    try:
        for packet in container.demux(video):
            packets += 1
            if packets > MAX_PROBE_PACKETS:
                break
            try:
                frames.extend(packet.decode())
            except av.error.FFmpegError:
                continue  # a damaged packet is tolerable, an undecodable stream is not
            if len(frames) >= wanted:
                break
    except av.error.FFmpegError:
        pass  # demuxing stopped early; judge by what we decoded
    return frames


def _normalise_rotation(value: float | None) -> int:
    if value is None or not math.isfinite(value):
        return 0
    return int(round(value / 90.0)) % 4 * 90


def _safe_float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _is_dvd_like(w: int, h: int, interlaced: bool) -> bool:
    """SD raster from a DVD/DV/SD camcorder: 480 or 576 lines at <= 720 wide, or interlaced SD."""
    return (h in (480, 576) and w <= 720) or (interlaced and h <= 576)


def _short(exc: BaseException) -> str:
    # libav errors carry the file name in str(); the reason is user-facing, so keep only strerror.
    text = exc.strerror if isinstance(exc, av.error.FFmpegError) and exc.strerror else str(exc)
    text = text.strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def hms(seconds: float) -> str:
    """A length in a reason, always with hours: 0:00:03 (media_pipeline.formatting's rule)."""
    return duration_label(seconds, always_hours=True)
