"""What a finished media playlist really costs: peak and mean segment bitrate, bytes, duration.

Pure arithmetic on a playlist's text and its files' sizes, so the master playlist can say what
was produced (``BANDWIDTH`` = peak, ``AVERAGE-BANDWIDTH`` = mean) rather than what the encoder
was asked for: with capped CRF a still lesson costs a fraction of its rung's ceiling.

The peak follows RFC 8216 (section 4.3.4.2, ``BANDWIDTH``; section 4.1 defines the peak segment
bit rate): the largest bit rate of any run of consecutive segments whose total duration is
between 0.5 and 1.5 times the target duration. A final segment of a frame or two (a lesson
ending just after a keyframe) is an IDR frame over a few milliseconds: on its own it would
claim tens of Mb/s, and a player trusting that would never pick the rung.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    uri: str
    duration_s: float


@dataclass(frozen=True)
class PlaylistBitrates:
    peak_bps: int  # RFC 8216 peak segment bit rate
    average_bps: int  # media bytes over media duration
    media_bytes: int  # segments only
    total_bytes: int  # segments and the init segment: what storage holds
    duration_s: float

    @classmethod
    def empty(cls) -> PlaylistBitrates:
        return cls(0, 0, 0, 0, 0.0)


def playlist_segments(text: str) -> tuple[list[Segment], float, str | None]:
    """(segments, target duration in seconds, init segment URI or None) of a media playlist."""
    segments: list[Segment] = []
    target = 0.0
    init_uri = None
    pending: float | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-TARGETDURATION:"):
            target = float(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-MAP:") and 'URI="' in line:
            init_uri = line.split('URI="', 1)[1].split('"', 1)[0]
        elif line.startswith("#EXTINF:"):
            pending = float(line.split(":", 1)[1].split(",", 1)[0])
        elif line and not line.startswith("#") and pending is not None:
            segments.append(Segment(line, pending))
            pending = None
    return segments, target, init_uri


def peak_segment_bitrate(sizes_durations: list[tuple[int, float]], target_duration_s: float) -> int:
    """RFC 8216 peak over runs of consecutive segments lasting 0.5..1.5 x the target duration.

    ``sizes_durations``: (bytes, seconds) per segment in playlist order. A playlist too short
    for any such run (one segment shorter than half the target) has its mean as its peak."""
    if not sizes_durations:
        return 0
    lo, hi = 0.5 * target_duration_s, 1.5 * target_duration_s
    peak = 0.0
    for start in range(len(sizes_durations)):
        size = duration = 0.0
        for seg_bytes, seg_s in sizes_durations[start:]:
            size += seg_bytes
            duration += seg_s
            if duration > hi + 1e-9:
                break
            if duration >= lo - 1e-9 and duration > 0:
                peak = max(peak, 8 * size / duration)
    if peak == 0:
        total_s = sum(s for _, s in sizes_durations)
        peak = 8 * sum(b for b, _ in sizes_durations) / total_s if total_s > 0 else 0
    return math.ceil(peak)


def playlist_bitrates(text: str, size_of: Callable[[str], int]) -> PlaylistBitrates:
    """Peak and mean of the media playlist ``text``; ``size_of(uri)`` gives a file's bytes."""
    segments, target, init_uri = playlist_segments(text)
    if not segments:
        return PlaylistBitrates.empty()
    pairs = [(size_of(seg.uri), seg.duration_s) for seg in segments]
    media_bytes = sum(b for b, _ in pairs)
    duration = sum(s for _, s in pairs)
    target = target or max(s for _, s in pairs)
    average = math.ceil(8 * media_bytes / duration) if duration > 0 else 0
    init_bytes = size_of(init_uri) if init_uri else 0
    return PlaylistBitrates(
        peak_bps=peak_segment_bitrate(pairs, target),
        average_bps=average,
        media_bytes=media_bytes,
        total_bytes=media_bytes + init_bytes,
        duration_s=duration,
    )
