"""The ffmpeg command lines (processing.encode.commands), read as values and run for real."""

from __future__ import annotations

import dataclasses
import re
import time
from fractions import Fraction
from pathlib import Path

import av
import pytest

from media_pipeline.hls.playlists import finalize_playlist, master_playlist_fix
from media_pipeline.processing.encode.commands import (
    build_hls_command,
    poster_command,
    poster_time_s,
    sprite_plan,
    thumbnails_command,
    thumbnails_vtt,
)
from media_pipeline.processing.encode.ladder import Rung, crf_table, ladder_for
from media_pipeline.processing.encode.runner import FFmpegFailed, ffmpeg_path, run_ffmpeg
from media_pipeline.processing.probe import FORMAT_WHITELIST, ProbeResult, probe_media
from tests.media_pipeline.conftest import make_probe, stream_infs

# --------------------------------------------------------------------------- command


def hls_cmd(probe: ProbeResult, out: str = "/work/out", **kw: object) -> list[str]:
    return build_hls_command(
        ffmpeg="ffmpeg", input_path="/work/in.mp4", output_dir=out, probe=probe,
        rungs=ladder_for(probe), **kw,
    )  # fmt: skip


def arg(cmd: list[str], flag: str) -> str:
    return cmd[cmd.index(flag) + 1]


def test_command_is_one_process_decoding_once() -> None:
    probe = make_probe()
    cmd = hls_cmd(probe)
    assert cmd[0] == "ffmpeg"
    assert cmd.count("-i") == 1 and cmd.count("-filter_complex") == 1
    graph = arg(cmd, "-filter_complex")
    n = len(ladder_for(probe))
    assert re.search(rf"\bsplit={n}\b", graph)
    assert graph.count("scale=") == n
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a == "-map"][:n] == [
        f"[v{i}]" for i in range(n)
    ]


def test_command_hardened_input() -> None:
    cmd = hls_cmd(make_probe())
    i = cmd.index("-i")
    assert arg(cmd, "-protocol_whitelist") == "file" and cmd.index("-protocol_whitelist") < i
    assert arg(cmd, "-format_whitelist") == FORMAT_WHITELIST and cmd.index("-format_whitelist") < i
    assert arg(cmd, "-f") == "mov" and cmd.index("-f") < i
    assert "-nostdin" in cmd
    assert arg(cmd, "-map_metadata") == "-1"  # no GPS tags from phones in the output


def test_command_keyframes_and_gop() -> None:
    cmd = hls_cmd(make_probe(fps=25.0))
    assert arg(cmd, "-force_key_frames") == "expr:gte(t,n_forced*2)"
    assert arg(cmd, "-sc_threshold") == "0"
    assert arg(cmd, "-g") == arg(cmd, "-keyint_min") == "50"
    assert arg(cmd, "-c:v") == "libx264" and arg(cmd, "-preset") == "veryfast"
    assert arg(cmd, "-pix_fmt") == "yuv420p" and arg(cmd, "-profile:v") == "high"


def _rates(cmd: list[str], flag: str, n: int) -> list[str | None]:
    return [arg(cmd, f"{flag}:v:{i}") if f"{flag}:v:{i}" in cmd else None for i in range(n)]


def test_command_capped_crf_per_rung() -> None:
    # A 1080p30 source: CRF by rung size under today's bitrate as the ceiling, a 2x buffer.
    cmd = hls_cmd(make_probe(bit_rate=None))
    assert _rates(cmd, "-crf", 4) == ["21", "21", "19", "18"]
    assert _rates(cmd, "-maxrate", 4) == ["6221000", "3041000", "1476000", "1037000"]
    assert _rates(cmd, "-bufsize", 4) == ["12442000", "6082000", "2952000", "2074000"]
    assert _rates(cmd, "-b", 4) == [None] * 4  # no average target: CRF decides below the cap
    assert "-crf" not in cmd  # only per-stream values, never one for every rung


def test_command_crf_values_come_from_the_table() -> None:
    probe = make_probe(bit_rate=None)
    rungs = ladder_for(probe, crf_by_height=crf_table("1080=24,0=17"))
    cmd = build_hls_command(
        ffmpeg="ffmpeg", input_path="/in.mp4", output_dir="/o", probe=probe, rungs=rungs
    )
    assert _rates(cmd, "-crf", 4) == ["24", "17", "17", "17"]


def test_command_abr_is_the_previous_fixed_average_ladder() -> None:
    probe = make_probe(bit_rate=None)
    cmd = hls_cmd(probe, rate_control="abr")
    assert _rates(cmd, "-b", 4) == ["6221000", "3041000", "1476000", "1037000"]
    assert _rates(cmd, "-maxrate", 4) == _rates(cmd, "-b", 4)
    assert _rates(cmd, "-crf", 4) == [None] * 4
    with pytest.raises(ValueError, match="rate_control"):
        hls_cmd(probe, rate_control="cbr")


def test_command_hls_muxer() -> None:
    cmd = hls_cmd(make_probe(), out="/w/o")
    assert arg(cmd, "-f") == "mov"  # the first -f is the input demuxer
    assert cmd[cmd.index("-hls_time") - 1] == "hls"
    assert arg(cmd, "-hls_time") == "4"
    assert arg(cmd, "-hls_playlist_type") == "event"
    assert arg(cmd, "-hls_segment_type") == "fmp4"
    assert arg(cmd, "-hls_segment_filename") == "/w/o/%v/seg_%05d.m4s"
    assert arg(cmd, "-master_pl_name") == "master.m3u8"
    assert "temp_file" in arg(cmd, "-hls_flags") and "independent_segments" in arg(
        cmd, "-hls_flags"
    )
    assert cmd[-1] == "/w/o/%v/index.m3u8"
    assert arg(cmd, "-progress") == "pipe:1" and "-nostats" in cmd


def test_command_audio_encoded_once_in_a_group() -> None:
    cmd = hls_cmd(make_probe())
    maps = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-map"]
    assert maps.count("0:1") == 1
    assert arg(cmd, "-c:a") == "aac" and arg(cmd, "-ac") == "2" and arg(cmd, "-b:a") == "128000"
    vsm = arg(cmd, "-var_stream_map").split()
    assert vsm[0] == "a:0,agroup:aud,name:audio"
    assert vsm[1:] == [
        f"v:{i},agroup:aud,name:{n}" for i, n in enumerate(["1080p", "720p", "480p", "360p"])
    ]


def test_command_without_audio() -> None:
    cmd = hls_cmd(make_probe(has_audio=False, audio_codec=None, audio_stream_index=None))
    assert "-c:a" not in cmd
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a == "-map"] == [
        "[v0]",
        "[v1]",
        "[v2]",
        "[v3]",
    ]
    assert "a:" not in arg(cmd, "-var_stream_map")


def test_deinterlace_only_when_interlaced() -> None:
    assert "bwdif" not in arg(hls_cmd(make_probe()), "-filter_complex")
    graph = arg(hls_cmd(make_probe(interlaced=True)), "-filter_complex")
    # Deinterlace before the split, i.e. once and at full height.
    assert graph.index("bwdif") < graph.index("split")


def test_high_frame_rate_halved_for_output() -> None:
    cmd = hls_cmd(make_probe(fps=120.0))
    assert "fps=60" in arg(cmd, "-filter_complex")
    assert arg(cmd, "-g") == "120"


def test_rotated_input_uses_stream_index_and_display_sizes() -> None:
    probe = make_probe(width=1080, height=1920, rotation=90, video_stream_index=2)
    graph = arg(hls_cmd(probe), "-filter_complex")
    assert graph.startswith("[0:2]")
    assert "scale=1080:1920" in graph and "scale=360:640" in graph


# --------------------------------------------------------------------------- poster / sprite


def test_poster_time() -> None:
    assert poster_time_s(600) == 60
    assert poster_time_s(5) == 1
    assert poster_time_s(1) == 0.5


def test_sprite_plan_bounds_tile_count() -> None:
    assert sprite_plan(make_probe(duration_s=3)).interval_s == 1
    long = sprite_plan(make_probe(duration_s=4 * 3600))
    assert long.interval_s == 120 and long.count == 120 and long.rows == 12
    for d in (1, 59, 600, 3599, 7200, 14400):
        assert sprite_plan(make_probe(duration_s=d)).count <= 150
    assert sprite_plan(make_probe(width=1080, height=1920, rotation=90)).tile_h == 284


def test_thumbnails_vtt() -> None:
    vtt = thumbnails_vtt(25.5, 10, 160, 90, 2, "sprite.jpg")
    assert vtt.startswith("WEBVTT\n\n")
    cues = re.findall(r"(\S+) --> (\S+)\n(\S+)", vtt)
    assert cues == [
        ("00:00:00.000", "00:00:10.000", "sprite.jpg#xywh=0,0,160,90"),
        ("00:00:10.000", "00:00:20.000", "sprite.jpg#xywh=160,0,160,90"),
        ("00:00:20.000", "00:00:25.500", "sprite.jpg#xywh=0,90,160,90"),
    ]


# --------------------------------------------------------------------------- integration


def transcode(src: Path, out: Path) -> tuple[ProbeResult, list[Rung], str, float]:
    probe = probe_media(str(src))
    rungs = ladder_for(probe)
    cmd = build_hls_command(
        ffmpeg=ffmpeg_path(), input_path=str(src), output_dir=str(out), probe=probe, rungs=rungs
    )
    started = time.monotonic()
    run_ffmpeg(cmd, timeout_s=120, on_progress=None, duration_s=probe.duration_s)
    elapsed = time.monotonic() - started
    master = master_playlist_fix((out / "master.m3u8").read_text(), rungs)
    for playlist in out.glob("*/index.m3u8"):
        playlist.write_text(finalize_playlist(playlist.read_text()))
    return probe, rungs, master, elapsed


def read_rendition(directory: Path) -> list[av.VideoFrame]:
    """Concatenate init + segments (that is what a player does) and decode."""
    frames, _ = read_rendition_with_sar(directory)
    return frames


def read_rendition_with_sar(directory: Path) -> tuple[list[av.VideoFrame], Fraction | None]:
    init = next(directory.glob("init*.mp4"))
    joined = directory / "joined.mp4"
    joined.write_bytes(
        init.read_bytes() + b"".join(p.read_bytes() for p in sorted(directory.glob("seg_*.m4s")))
    )
    with av.open(str(joined)) as container:
        sar = container.streams.video[0].sample_aspect_ratio
        return list(container.decode(video=0)), sar


def test_hls_end_to_end(hls_clip: Path, tmp_path: Path) -> None:
    probe, rungs, master, elapsed = transcode(hls_clip, tmp_path)
    print(f"HLS ladder, {probe.duration_s:.0f} s {probe.width}x{probe.height}: {elapsed:.2f} s")
    variants = stream_infs(master)
    assert [uri for _, uri in variants] == [f"{r.name}/index.m3u8" for r in rungs]
    assert [r.name for r in rungs] == ["480p", "360p"]
    for (attrs, _), rung in zip(variants, rungs, strict=True):
        assert int(attrs["BANDWIDTH"]) > 0
        assert attrs["RESOLUTION"] == f"{rung.width}x{rung.height}"
        assert re.fullmatch(r'"avc1\.64[0-9a-f]{4},mp4a\.40\.2"', attrs["CODECS"])
        assert attrs["AUDIO"] == '"group_aud"'
    assert master.count("TYPE=AUDIO") == 1
    for rung in rungs:
        d = tmp_path / rung.name
        assert list(d.glob("init*.mp4")) and list(d.glob("seg_*.m4s"))
        playlist = (d / "index.m3u8").read_text()
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist and "#EXT-X-ENDLIST" in playlist
        durations = [float(x) for x in re.findall(r"#EXTINF:([\d.]+)", playlist)]
        assert durations == pytest.approx([4.0, 2.0], abs=0.05)
        frames = read_rendition(d)
        assert (frames[0].width, frames[0].height) == (rung.width, rung.height)
        keyframes = [round(f.time - frames[0].time, 2) for f in frames if f.key_frame]
        assert keyframes == [0.0, 2.0, 4.0]  # identical in every rendition -> aligned
    audio_playlist = (tmp_path / "audio" / "index.m3u8").read_text()
    assert "#EXTINF" in audio_playlist


def test_hls_rotated_phone_video_comes_out_portrait(rotated_clip: Path, tmp_path: Path) -> None:
    _, rungs, master, _ = transcode(rotated_clip, tmp_path)
    assert [(r.name, r.width, r.height) for r in rungs] == [("480p", 480, 854), ("360p", 360, 640)]
    assert [a["RESOLUTION"] for a, _ in stream_infs(master)] == ["480x854", "360x640"]
    frames = read_rendition(tmp_path / "360p")
    assert (frames[0].width, frames[0].height) == (360, 640)
    assert frames[0].rotation == 0  # pixels rotated, no display matrix left to double-rotate


def test_hls_without_audio(noaudio_clip: Path, tmp_path: Path) -> None:
    _, rungs, master, _ = transcode(noaudio_clip, tmp_path)
    assert "TYPE=AUDIO" not in master
    ((attrs, uri),) = stream_infs(master)
    assert uri == "360p/index.m3u8"
    assert attrs["RESOLUTION"] == "640x360" and attrs["CODECS"].startswith('"avc1.')
    assert "mp4a" not in attrs["CODECS"]
    assert not (tmp_path / "audio").exists()


def test_hls_dvd_is_deinterlaced_square_pixels(dvd_clip: Path, tmp_path: Path) -> None:
    _, rungs, master, _ = transcode(dvd_clip, tmp_path)
    assert [a["RESOLUTION"] for a, _ in stream_infs(master)] == ["854x480", "640x360"]
    frames, sar = read_rendition_with_sar(tmp_path / "480p")
    assert not any(f.interlaced_frame for f in frames)
    assert sar in (None, 1)


def test_poster_and_sprite(normal_clip: Path, tmp_path: Path) -> None:
    probe = probe_media(str(normal_clip))
    poster = tmp_path / "poster.jpg"
    ff, src = ffmpeg_path(), str(normal_clip)
    cmd = poster_command(ffmpeg=ff, input_path=src, output_path=str(poster), probe=probe)
    run_ffmpeg(cmd, timeout_s=30, on_progress=None, duration_s=probe.duration_s)
    plan = sprite_plan(probe)
    sprite = tmp_path / "sprite.jpg"
    cmd = thumbnails_command(
        ffmpeg=ff, input_path=src, output_path=str(sprite), probe=probe, plan=plan
    )
    run_ffmpeg(cmd, timeout_s=30, on_progress=None, duration_s=probe.duration_s)
    with av.open(str(poster)) as c:
        frame = next(c.decode(video=0))
        assert (frame.width, frame.height) == (1280, 720)
    with av.open(str(sprite)) as c:
        frame = next(c.decode(video=0))
        assert (frame.width, frame.height) == (plan.columns * 160, plan.rows * 90)
    vtt = thumbnails_vtt(
        probe.duration_s, plan.interval_s, plan.tile_w, plan.tile_h, plan.columns, "sprite.jpg"
    )
    assert vtt.count("#xywh=") == plan.count == 3


def test_hostile_playlist_with_the_built_command(
    playlist_m3u8: Path, canary, tmp_path: Path
) -> None:
    """Even if a forged probe result got through, the command itself refuses to follow it."""
    canary.reset()
    for demuxer in ("avi", "hls"):
        probe = dataclasses.replace(make_probe(duration_s=1.0), container=demuxer)
        cmd = build_hls_command(
            ffmpeg=ffmpeg_path(), input_path=str(playlist_m3u8), output_dir=str(tmp_path),
            probe=probe, rungs=ladder_for(probe)[-1:],
        )  # fmt: skip
        with pytest.raises(FFmpegFailed):
            run_ffmpeg(cmd, timeout_s=30, on_progress=None, duration_s=1.0)
    assert not canary.was_opened(settle_s=0.2)
    assert not list(tmp_path.rglob("*.m4s"))
