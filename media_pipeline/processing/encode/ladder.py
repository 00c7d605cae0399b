"""The bitrate ladder: which renditions an upload gets, their sizes and bitrates.

Pure arithmetic on a probe result, so all of it is unit-testable by reading the returned values.

* Never above the source: the rungs are the standard heights (1080/720/480/360) up to the
  source's short side; a source below 360p keeps its own size.
* Rotation: ffmpeg's default autorotate applies the display matrix on decode (transpose/flip
  inserted before our filter graph) and drops the matrix from the output, so the ladder is
  computed in display orientation and renditions come out the right way up. Portrait rungs are
  named and sized by their short side (a "720p" portrait rendition is 720x1280).
* DVD-like sources keep their native SD raster (576 or 480 lines) plus 360p.
* Rate control: capped CRF. Each rung has a quality target (x264 CRF, smaller pictures a
  little lower, because they are what slow connections get) and a ceiling: PeerTube-style bits
  per pixel per frame, capped at 30 fps and by the source's own bitrate, as ``maxrate`` with a
  buffer of twice that. Near-static lesson footage (a still camera on a treatment table) then
  costs a fraction of the ceiling; high motion meets the ceiling and is encoded as before.
  The ceiling is what ``video_bitrate`` is: the 1-pass ABR target the ladder used before, kept
  for the ``abr`` rate control and the quality benchmark that compares the two.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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
# x264 CRF by rung short side (first match from the top; the MEDIA_X264_CRF setting overrides
# it). Measured with the quality benchmark (bench/test_quality_bench.py, numbers in the README):
# 21 keeps a near-static 720p top rung within about half a VMAF point of the fixed-rate ladder
# at a fifth of its bytes; the small rungs need a lower CRF to stay within a point (an
# interlaced DVD's native 480 lines most of all), and cost little at their size.
CRF_BY_HEIGHT: tuple[tuple[int, int], ...] = ((720, 21), (480, 19), (0, 18))


@dataclass(frozen=True)
class Rung:
    name: str  # "720p": the short side, also for portrait renditions
    height: int
    width: int
    video_bitrate: int  # bits per second
    maxrate: int
    bufsize: int
    crf: int = CRF_BY_HEIGHT[0][1]  # x264 quality target (capped by maxrate/bufsize)


def ladder_for(
    probe: ProbeResult, *, crf_by_height: Sequence[tuple[int, int]] = CRF_BY_HEIGHT
) -> list[Rung]:
    """Renditions for ``probe``, best first; never upscales. ``crf_by_height``: (minimum short
    side, CRF) pairs, e.g. from :func:`crf_table`."""
    fps = min(output_fps(probe.fps), BITRATE_FPS_CAP)
    source_bitrate = probe.video_bit_rate or probe.bit_rate
    table = crf_table(dict(crf_by_height))  # sorted, with a catch-all row
    return [
        _rung(short, probe.display_aspect_ratio, fps, source_bitrate, table)
        for short in ladder_heights(probe)
    ]


def crf_table(spec: str | Mapping[int | str, int | str]) -> tuple[tuple[int, int], ...]:
    """``"720=22,480=21,0=20"`` (the setting) or ``{720: 22, 0: 20}`` -> ``((720, 22), ...)``:
    (minimum short side, CRF), tallest first, with a catch-all row for any size. A CRF outside
    x264's 0..51 or a malformed pair raises ValueError."""
    if isinstance(spec, str):
        pairs = [item.split("=", 1) for item in spec.replace(" ", "").split(",") if item]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"expected <short side>=<crf> pairs, got {spec!r}")
        spec = dict(pairs)
    rows = sorted(((int(h), int(c)) for h, c in spec.items()), reverse=True)
    if not rows:
        return CRF_BY_HEIGHT
    for _, crf in rows:
        if not 0 <= crf <= 51:
            raise ValueError(f"x264 CRF must be between 0 and 51, not {crf}")
    if rows[-1][0] > 0:
        rows.append((0, rows[-1][1]))
    return tuple(rows)


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


def _rung(
    short: int,
    aspect: float,
    fps: float,
    source_bitrate: int | None,
    crf_by_height: Sequence[tuple[int, int]],
) -> Rung:
    width, height = rung_size(short, aspect)
    bitrate = width * height * fps * _bpp(short)
    if source_bitrate:
        bitrate = min(bitrate, SOURCE_BITRATE_HEADROOM * source_bitrate)
    bitrate = max(MIN_VIDEO_BITRATE, int(round(bitrate, -3)))
    crf = next(crf for min_h, crf in crf_by_height if short >= min_h)
    return Rung(f"{short}p", height, width, bitrate, maxrate=bitrate, bufsize=2 * bitrate, crf=crf)


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
