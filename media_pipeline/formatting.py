"""The one way durations, sizes and cue times are written, everywhere on the platform.

It lives in media_pipeline, the lowest layer, because the pipeline's own admin and
outcome lines format durations too, and media_pipeline may not import courses.
`static/js/format.js` holds the same rule for the browser; a test feeds both the
same values.
"""

from __future__ import annotations

import math


def duration_seconds_round(seconds: float) -> int:
    """Whole seconds, halves rounded up (as JavaScript's Math.round, not Python's round)."""
    return max(0, math.floor(seconds + 0.5))


def duration_label(seconds: float | None, *, missing: str = "", always_hours: bool = False) -> str:
    """12:05 or 1:02:05 (59.6 s is 1:00); `missing` when there is no duration yet.

    `always_hours` writes 0:12:05, for messages that compare a length with a limit.
    """
    if seconds is None or not math.isfinite(seconds):
        return missing
    total = duration_seconds_round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours or always_hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def vtt_timestamp(seconds: float) -> str:
    """A WebVTT cue time, always with hours and milliseconds: 00:01:05.250."""
    millis = int(round(max(seconds, 0) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def size_label(size: int | float) -> str:
    """A byte count in decimal units: 999 bytes, 1.2 MB, 20.0 GB."""
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def bitrate_label(bits_per_second: int | float) -> str:
    """A bit rate as players and encoders write it: 850 kb/s, 3.2 Mb/s (decimal units)."""
    if bits_per_second < 1_000_000:
        return f"{bits_per_second / 1000:.0f} kb/s"
    return f"{bits_per_second / 1_000_000:.1f} Mb/s"
