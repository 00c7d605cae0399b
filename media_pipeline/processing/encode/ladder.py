"""The bitrate ladder: which renditions an upload gets, their sizes and bitrates.

Pure arithmetic on a probe result, so all of it is unit-testable by reading the returned values.

* Never above the source: the rungs are the standard heights (1080/720/480/360) up to the
  source's short side; a source below 360p keeps its own size.
* Rotation: ffmpeg's default autorotate applies the display matrix on decode (transpose/flip
  inserted before our filter graph) and drops the matrix from the output, so the ladder is
  computed in display orientation and renditions come out the right way up. Portrait rungs are
  named and sized by their short side (a "720p" portrait rendition is 720x1280).
* DVD-like sources keep their native SD raster (576 or 480 lines) plus 360p.
* Bitrates: PeerTube-style bits per pixel per frame, capped at 30 fps and by the source's own
  bitrate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from media_pipeline.processing.probe import ProbeResult

STANDARD_HEIGHTS: tuple[int, ...] = (1080, 720, 480, 360)
MIN_LADDER_HEIGHT = 360
# PeerTube-style bits per pixel per frame, by rung size (smaller pictures need more per pixel).
BPP_BY_HEIGHT: tuple[tuple[int, float], ...] = ((1080, 0.10), (720, 0.11), (480, 0.12), (0, 0.15))
BITRATE_FPS_CAP = 30  # 60 fps does not need twice the bits of 30 fps
SOURCE_BITRATE_HEADROOM = 1.3  # never spend much more than the source had
MIN_VIDEO_BITRATE = 64_000
MAX_OUTPUT_FPS = 60


@dataclass(frozen=True)
class Rung:
    name: str  # "720p": the short side, also for portrait renditions
    height: int
    width: int
    video_bitrate: int  # bits per second
    maxrate: int
    bufsize: int


def ladder_for(probe: ProbeResult) -> list[Rung]:
    """Renditions for ``probe``, best first; never upscales."""
    fps = min(output_fps(probe.fps), BITRATE_FPS_CAP)
    source_bitrate = probe.video_bit_rate or probe.bit_rate
    return [
        _rung(short, probe.display_aspect_ratio, fps, source_bitrate)
        for short in ladder_heights(probe)
    ]


def ladder_heights(probe: ProbeResult) -> list[int]:
    """Short sides of the renditions, best first."""
    short = even(source_short_side(probe), down=True)
    if short < MIN_LADDER_HEIGHT:
        return [short]
    if probe.is_dvd_like and short > MIN_LADDER_HEIGHT:
        # Keep the native SD raster (576 or 480) rather than resampling it to 480: a PAL DVD
        # scaled to 480 lines loses detail for no bandwidth gain worth having.
        return [short, MIN_LADDER_HEIGHT]
    return [h for h in STANDARD_HEIGHTS if h <= short]


def source_short_side(probe: ProbeResult) -> int:
    """Short side in square pixels. SAR stretches stored width (an anamorphic 720x480 DVD is
    displayed 854x480), so the line count stays the reference for landscape sources."""
    sar = float(probe.sample_aspect_ratio)
    rotated = probe.rotation in (90, 270)
    disp_w = probe.width if rotated else probe.width * sar
    disp_h = probe.height * sar if rotated else probe.height
    return int(round(min(disp_w, disp_h)))


def rung_size(short: int, aspect: float) -> tuple[int, int]:
    """(width, height) for a rendition whose short side is ``short`` at display ``aspect``."""
    if aspect >= 1:
        return even(short * aspect), short
    return short, even(short / aspect)


def _rung(short: int, aspect: float, fps: float, source_bitrate: int | None) -> Rung:
    width, height = rung_size(short, aspect)
    bitrate = width * height * fps * _bpp(short)
    if source_bitrate:
        bitrate = min(bitrate, SOURCE_BITRATE_HEADROOM * source_bitrate)
    bitrate = max(MIN_VIDEO_BITRATE, int(round(bitrate, -3)))
    return Rung(f"{short}p", height, width, bitrate, maxrate=bitrate, bufsize=2 * bitrate)


def _bpp(short: int) -> float:
    return next(bpp for min_h, bpp in BPP_BY_HEIGHT if short >= min_h)


def even(value: float, *, down: bool = False) -> int:
    """``value`` rounded to an even size (rounded down with ``down``), at least 2: x264 with
    yuv420p needs even dimensions."""
    half = math.floor(value / 2) if down else round(value / 2)
    return max(2, 2 * int(half))


def output_fps(source_fps: float) -> float:
    """Frame rate of the renditions: halve high-frame-rate sources until <= 60 fps."""
    fps = source_fps
    while fps > MAX_OUTPUT_FPS:
        fps /= 2
    return fps
