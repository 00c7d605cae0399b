"""The ffmpeg command lines of the pipeline: the HLS ladder encode, the poster, the sprite.

Nothing here touches the filesystem or runs a process (runner.py does), so all of it is
unit-testable by reading the returned values.

Key decisions (see the comments at each spot for the why):

* One ffmpeg process per upload: decode (and deinterlace) once, ``split`` into N scalers, N x264
  encoders, one HLS muxer writing every variant. Decoding is a large part of the cost for
  high-bit-rate phone footage, so decoding N times would be wasteful.
* Audio is encoded ONCE (AAC-LC stereo 128k) into its own rendition, referenced by every video
  variant through an ``EXT-X-MEDIA`` audio group. ffmpeg also lists that rendition as an
  audio-only ``EXT-X-STREAM-INF`` variant; ``hls.playlists.master_playlist_fix`` removes it so
  players never pick a picture-less variant on a bad network.
* Rate control is capped CRF by default (see ladder.py): ``-crf`` per rung with the rung's
  bitrate as ``-maxrate`` and twice that as ``-bufsize``. ``abr`` is the fixed-average 1-pass
  ladder the pipeline used before (``-b:v`` = ``-maxrate``), kept for comparison and rollback.
* Deinterlacing with ``bwdif`` (better than yadif on motion at a similar cost), one frame per
  frame, only for frames flagged interlaced, only when the probe found interlacing.
* The seek-preview sprite's plan, command and WebVTT index live together at the end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from media_pipeline.formatting import vtt_timestamp
from media_pipeline.hls.layout import (
    AUDIO_BITRATE,
    AUDIO_GROUP,
    AUDIO_RENDITION,
    MASTER_NAME,
    PLAYLIST_NAME,
)
from media_pipeline.processing.encode.ladder import (
    Rung,
    even,
    output_fps,
    rung_size,
    source_short_side,
)
from media_pipeline.processing.probe import FORMAT_WHITELIST, ProbeResult, file_url

DEINTERLACE_FILTER = "bwdif=mode=send_frame:parity=auto:deint=interlaced"
RATE_CONTROLS = ("crf", "abr")


def input_args(probe: ProbeResult, input_path: str) -> list[str]:
    """Hardened input options, shared by every command reading an upload.

    ``-f`` pins the demuxer the probe validated (a file swapped after probing cannot switch to
    ``hls``), and the whitelists stop reference-following demuxers and non-file protocols even in
    nested demuxers."""
    return [
        "-protocol_whitelist", "file",
        "-format_whitelist", FORMAT_WHITELIST,
        "-f", probe.demuxer,
        "-i", file_url(input_path),
    ]  # fmt: skip


def _global_args(progress_url: str | None = None) -> list[str]:
    args = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    if progress_url:
        args += ["-progress", progress_url, "-nostats"]
    return args


def video_filter_graph(probe: ProbeResult, rungs: Sequence[Rung]) -> str:
    """``[0:v] (bwdif) (fps) split=N`` -> one ``scale`` per rung, outputs ``[v0]..[vN-1]``."""
    pre = []
    if probe.interlaced:
        pre.append(DEINTERLACE_FILTER)  # must run before any scaling, on full-height fields
    fps = output_fps(probe.fps)
    if fps != probe.fps:
        pre.append(f"fps={fps:.6g}")
    pre.append(f"split={len(rungs)}" + "".join(f"[s{i}]" for i in range(len(rungs))))
    chains = [f"[0:{probe.video_stream_index}]" + ",".join(pre)]
    for i, rung in enumerate(rungs):
        chains.append(f"[s{i}]scale={rung.width}:{rung.height},setsar=1[v{i}]")
    return ";".join(chains)


def build_hls_command(
    *,
    ffmpeg: str,
    input_path: str,
    output_dir: str,
    probe: ProbeResult,
    rungs: list[Rung],
    segment_s: int = 4,
    keyframe_s: int = 2,
    preset: str = "veryfast",
    threads: int | None = None,
    progress_url: str = "pipe:1",
    max_output_s: float | None = None,
    rate_control: str = "crf",
) -> list[str]:
    """One ffmpeg process writing ``<output_dir>/master.m3u8`` and ``<output_dir>/<rung>/``.

    Segments are fMP4 (``seg_NNNNN.m4s`` + an init segment, named ``init_<k>.mp4`` by ffmpeg
    because there are several variants). Run ``hls.playlists.master_playlist_fix`` on the master and
    ``hls.playlists.finalize_playlist`` on each media playlist when ffmpeg has finished.
    """
    if not rungs:
        raise ValueError("at least one rung is required")
    if rate_control not in RATE_CONTROLS:
        raise ValueError(f"rate_control must be one of {RATE_CONTROLS}, not {rate_control!r}")
    if segment_s % keyframe_s:
        raise ValueError("segment_s must be a multiple of keyframe_s (segments start on IDRs)")
    out = output_dir.rstrip("/")
    cmd = [ffmpeg, *_global_args(progress_url), *input_args(probe, input_path)]
    if max_output_s:
        cmd += ["-t", f"{max_output_s:.3f}"]  # a lying container cannot make us encode forever
    cmd += ["-filter_complex", video_filter_graph(probe, rungs)]
    if threads:
        cmd += ["-filter_complex_threads", str(threads), "-threads", str(threads)]
    cmd += _video_output_args(probe, rungs, preset, keyframe_s, rate_control)
    if probe.has_audio:
        cmd += _audio_output_args(probe)
    # Strip container metadata and chapters: phone uploads carry GPS location and device info.
    cmd += ["-map_metadata", "-1", "-map_chapters", "-1"]
    cmd += _hls_muxer_args(out, rungs, probe.has_audio, segment_s)
    return cmd


def _video_output_args(
    probe: ProbeResult, rungs: Sequence[Rung], preset: str, keyframe_s: int, rate_control: str
) -> list[str]:
    gop = max(1, round(output_fps(probe.fps) * keyframe_s))
    args: list[str] = []
    for i in range(len(rungs)):
        args += ["-map", f"[v{i}]"]
    args += [
        "-c:v", "libx264",
        "-preset", preset,
        "-profile:v", "high",
        "-pix_fmt", "yuv420p",
        # IDR exactly every keyframe_s seconds in every rendition, so segments of all variants
        # start at the same instants (clean switching); no extra scene-cut keyframes.
        "-force_key_frames", f"expr:gte(t,n_forced*{keyframe_s})",
        "-sc_threshold", "0",
        "-g", str(gop),
        "-keyint_min", str(gop),
    ]  # fmt: skip
    for i, rung in enumerate(rungs):
        if rate_control == "crf":
            # A quality target; the VBV (maxrate over a bufsize window) caps what motion costs.
            args += [f"-crf:v:{i}", str(rung.crf)]
        else:
            args += [f"-b:v:{i}", str(rung.video_bitrate)]
        args += [
            f"-maxrate:v:{i}", str(rung.maxrate),
            f"-bufsize:v:{i}", str(rung.bufsize),
        ]  # fmt: skip
    return args


def _audio_output_args(probe: ProbeResult) -> list[str]:
    # Mapped once -> encoded once; every video variant refers to it via the audio group.
    return [
        "-map", f"0:{probe.audio_stream_index}",
        "-c:a", "aac",
        "-ac", "2",
        "-ar", "48000",
        "-b:a", str(AUDIO_BITRATE),
    ]  # fmt: skip


def var_stream_map(rungs: Sequence[Rung], has_audio: bool) -> str:
    if not has_audio:
        return " ".join(f"v:{i},name:{r.name}" for i, r in enumerate(rungs))
    group = f"agroup:{AUDIO_GROUP}"
    variants = [f"a:0,{group},name:{AUDIO_RENDITION}"]
    variants += [f"v:{i},{group},name:{r.name}" for i, r in enumerate(rungs)]
    return " ".join(variants)


def _hls_muxer_args(out: str, rungs: Sequence[Rung], has_audio: bool, segment_s: int) -> list[str]:
    return [
        "-f", "hls",
        "-hls_time", str(segment_s),
        "-hls_list_size", "0",
        "-hls_playlist_type", "event",  # playlists grow while encoding; finalize_playlist -> VOD
        "-hls_flags", "temp_file+independent_segments",
        "-hls_segment_type", "fmp4",
        "-hls_fmp4_init_filename", "init.mp4",
        "-hls_segment_filename", f"{out}/%v/seg_%05d.m4s",
        "-master_pl_name", MASTER_NAME,
        "-var_stream_map", var_stream_map(rungs, has_audio),
        f"{out}/%v/{PLAYLIST_NAME}",
    ]  # fmt: skip


# --------------------------------------------------------------------------- poster / sprite


@dataclass(frozen=True)
class SpritePlan:
    interval_s: int
    count: int  # tiles actually referenced by the VTT
    columns: int
    rows: int
    tile_w: int
    tile_h: int


NICE_INTERVALS_S: tuple[int, ...] = (1, 2, 5, 10, 15, 20, 30, 60, 90, 120, 180, 300, 600)


def sprite_plan(
    probe: ProbeResult, *, tile_w: int = 160, columns: int = 10, max_tiles: int = 150
) -> SpritePlan:
    """Smallest "nice" interval keeping the sprite at <= max_tiles tiles (4 h -> every 2 min)."""
    duration = max(probe.duration_s, 0.001)
    interval = next(
        (n for n in NICE_INTERVALS_S if math.ceil(duration / n) <= max_tiles),
        math.ceil(duration / max_tiles),
    )
    count = max(1, math.ceil(duration / interval))
    cols = min(columns, count)
    tile_h = even(tile_w / probe.display_aspect_ratio)
    return SpritePlan(interval, count, cols, math.ceil(count / cols), tile_w, tile_h)


def poster_time_s(duration_s: float) -> float:
    """10% in (past fades from black), 1 s for short clips, always inside the video."""
    t = duration_s * 0.10 if duration_s >= 10 else 1.0
    return max(0.0, min(t, duration_s / 2))


def poster_command(
    *, ffmpeg: str, input_path: str, output_path: str, probe: ProbeResult, max_short_side: int = 720
) -> list[str]:
    """One JPEG frame at :func:`poster_time_s`, square pixels, short side <= max_short_side."""
    short = min(source_short_side(probe), max_short_side)
    width, height = rung_size(even(short, down=True), probe.display_aspect_ratio)
    filters = [DEINTERLACE_FILTER] if probe.interlaced else []
    filters.append(f"scale={width}:{height},setsar=1")
    return [
        ffmpeg, *_global_args(),
        # -ss before -i: demuxer-level seek, decodes from the nearest keyframe only.
        "-ss", f"{poster_time_s(probe.duration_s):.3f}",
        *input_args(probe, input_path),
        "-map", f"0:{probe.video_stream_index}",
        "-vf", ",".join(filters),
        "-frames:v", "1", "-update", "1", "-q:v", "3",
        "-map_metadata", "-1",
        output_path,
    ]  # fmt: skip


def thumbnails_command(
    *, ffmpeg: str, input_path: str, output_path: str, probe: ProbeResult, plan: SpritePlan
) -> list[str]:
    """Sprite JPEG: a tile every ``plan.interval_s`` seconds, ``plan.columns`` per row.

    ``-skip_frame nokey`` makes the decoder drop everything but keyframes, which makes this pass
    several times cheaper than a full decode; a tile then shows the keyframe nearest its time
    (phones and cameras put one every 0.5-2 s, precise enough for a 160 px preview). No
    deinterlacing: bwdif needs neighbouring frames we skipped, and combing is invisible at 160 px.
    """
    filters = (
        f"fps=1/{plan.interval_s}:eof_action=pass,scale={plan.tile_w}:{plan.tile_h},setsar=1,"
        f"tile={plan.columns}x{plan.rows}"
    )
    return [
        ffmpeg, *_global_args(),
        "-skip_frame", "nokey",
        *input_args(probe, input_path),
        "-map", f"0:{probe.video_stream_index}",
        "-vf", filters,
        "-frames:v", "1", "-update", "1", "-q:v", "5",
        "-map_metadata", "-1",
        output_path,
    ]  # fmt: skip


def thumbnails_vtt(
    duration_s: float, interval_s: float, tile_w: int, tile_h: int, columns: int, sprite_url: str
) -> str:
    """WebVTT mapping time ranges to ``sprite_url#xywh=x,y,w,h`` regions (tile i at row-major
    position i), the format video.js / Plyr / hls.js thumbnail plugins read."""
    lines = ["WEBVTT", ""]
    count = max(1, math.ceil(duration_s / interval_s))
    for i in range(count):
        start = i * interval_s
        end = min((i + 1) * interval_s, duration_s)
        x, y = (i % columns) * tile_w, (i // columns) * tile_h
        lines += [
            f"{vtt_timestamp(start)} --> {vtt_timestamp(end)}",
            f"{sprite_url}#xywh={x},{y},{tile_w},{tile_h}",
            "",
        ]
    return "\n".join(lines)
