"""The one way durations and sizes are written for people, everywhere on the platform.

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


def duration_label(seconds: float | None, *, missing: str = "") -> str:
    """12:05 or 1:02:05 (59.6 s is 1:00); `missing` when there is no duration yet."""
    if seconds is None or not math.isfinite(seconds):
        return missing
    total = duration_seconds_round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def size_label(size: int | float) -> str:
    """A byte count in decimal units: 999 bytes, 1.2 MB, 20.0 GB."""
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"
