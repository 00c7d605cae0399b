"""`make bench`: quality per bit. Today's fixed-average ladder against capped CRF, with VMAF.

Three generated 60 s clips, each encoded in one run by the real ladder command twice (the
``abr`` rate control the pipeline used before, and ``crf``, the default now), x264 `veryfast`:

(a) instructional: a still, grainy scene (a treatment table before a textured wall) with a
    slowly moving shape, what most of this course looks like;
(b) high motion with grain: fast pans over a detailed texture and a shape crossing the frame;
(c) an interlaced NTSC DVD-like source (720x480 MPEG-2, top field first, 16:9 anamorphic).

For each rung: VMAF (libvmaf's built-in model, against the source deinterlaced as the pipeline
does and scaled to the rung), the mean and peak segment bit rate (hls.bitrates, what the master
playlist now states), bytes per minute, and each ladder's encode time. Numbers, not
assertions: the targets are printed as met or not and everything goes to
bench-results/quality.json (the README's table is copied from it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

from django.conf import settings

from media_pipeline.hls.bitrates import playlist_bitrates
from media_pipeline.hls.layout import PLAYLIST_NAME
from media_pipeline.processing.encode.commands import DEINTERLACE_FILTER, build_hls_command
from media_pipeline.processing.encode.ladder import crf_table, ladder_for, output_fps
from media_pipeline.processing.encode.runner import ffmpeg_path, run_ffmpeg
from media_pipeline.processing.probe import ProbeResult, probe_media
from tests.media_pipeline.conftest import run_ffmpeg_cli

RESULTS = Path(__file__).resolve().parent.parent / "bench-results"
PRESET = "veryfast"
DURATION_S = float(os.environ.get("BENCH_QUALITY_DURATION_S", "60"))
# libvmaf scores every Nth frame (all frames are still decoded and scaled): 1 in 3 of 1800
# frames moves the score by a few hundredths of a point and keeps the bench to minutes.
VMAF_SUBSAMPLE = int(os.environ.get("BENCH_VMAF_SUBSAMPLE", "3"))

# A wall and a table, drawn once and held still, so only the moving shape and the grain change.
_STILL_SCENE = (
    "life=s=96x54:mold=10:ratio=0.35:death_color=#3a2a20:life_color=#b08868:rate=1,"
    "trim=end_frame=1,scale={w}x{h}:flags=bicubic,gblur=sigma=6,"
    "drawbox=x=iw*0.11:y=ih*0.6:w=iw*0.78:h=ih*0.22:color=#d8d0c8:t=fill,"
    "drawbox=x=iw*0.14:y=ih*0.82:w=iw*0.03:h=ih*0.18:color=#503828:t=fill,"
    "drawbox=x=iw*0.83:y=ih*0.82:w=iw*0.03:h=ih*0.18:color=#503828:t=fill,"
    "loop=loop=-1:size=1,fps={fps},trim=duration={d},setpts=N/({fps})/TB,"
    "drawbox=x='iw*0.33+iw*0.12*sin(t/5)':y='ih*0.46+ih*0.04*sin(t/7)':w=iw*0.14:h=ih*0.17:"
    "color=#e0b090:t=fill,noise=alls=5:allf=t"
)
_PANNING = (
    "life=s=1280x720:mold=10:ratio=0.4:death_color=#203040:life_color=#d0a060:rate=1,"
    "trim=end_frame=1,scale=2560x1440:flags=bicubic,gblur=sigma=1.5,"
    "loop=loop=-1:size=1,fps=30,trim=duration={d},setpts=N/30/TB,"
    "crop=1280:720:x='640+600*sin(t*1.3)':y='360+340*sin(t*0.9)',"
    "drawbox=x='mod(t*400,1280)':y=200:w=160:h=160:color=#f0f0f0:t=fill,noise=alls=10:allf=t"
)


def _tone(d: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=220:sample_rate=48000:duration={d}"]


def _mezzanine(path: Path, graph: str, d: float) -> Path:
    # Near-lossless H.264: the bench measures the ladder, not the generator.
    run_ffmpeg_cli(
        "-f", "lavfi", "-i", graph, *_tone(d), "-t", str(d),
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p",
        "-c:a", "aac", str(path),
    )  # fmt: skip
    return path


def _instructional(path: Path, d: float) -> Path:
    return _mezzanine(path, _STILL_SCENE.format(w=1280, h=720, fps=30, d=d), d)


def _high_motion(path: Path, d: float) -> Path:
    return _mezzanine(path, _PANNING.format(d=d), d)


def _dvd(path: Path, d: float) -> Path:
    # 59.94 progressive pictures woven into 29.97 interlaced frames (top field first): the
    # shape moves between the two fields of a frame, as on a camcorder tape.
    graph = (
        _STILL_SCENE.format(w=720, h=480, fps="60000/1001", d=d)
        + ",tinterlace=mode=interleave_top,setfield=tff"
    )
    run_ffmpeg_cli(
        "-f", "lavfi", "-i", graph, *_tone(d), "-t", str(d),
        "-flags", "+ilme+ildct", "-target", "ntsc-dvd", "-aspect", "16:9",
        str(path),
    )  # fmt: skip
    return path


CLIPS = {
    "instructional": (_instructional, "mp4"),
    "high-motion": (_high_motion, "mp4"),
    "dvd-480i": (_dvd, "vob"),
}


def _ladder_encode(source: Path, probe: ProbeResult, out_dir: Path, rate_control: str) -> float:
    out_dir.mkdir(parents=True)
    rungs = ladder_for(probe, crf_by_height=crf_table(settings.MEDIA_X264_CRF))
    cmd = build_hls_command(
        ffmpeg=ffmpeg_path(), input_path=str(source), output_dir=str(out_dir), probe=probe,
        rungs=rungs, preset=PRESET, rate_control=rate_control,
    )  # fmt: skip
    started = time.monotonic()
    run_ffmpeg(cmd, timeout_s=3600, on_progress=None, duration_s=probe.duration_s)
    return time.monotonic() - started


def _vmaf(source: Path, probe: ProbeResult, playlist: Path, width: int, height: int) -> float:
    """VMAF of a rendition against the source made the same shape: deinterlaced like the
    pipeline, at the output frame rate, scaled (bicubic) to the rung's size."""
    reference = [DEINTERLACE_FILTER] if probe.interlaced else []
    if output_fps(probe.fps) != probe.fps:
        reference.append(f"fps={output_fps(probe.fps):.6g}")
    reference += [f"scale={width}:{height}:flags=bicubic", "setsar=1", "setpts=PTS-STARTPTS"]
    graph = (
        f"[0:v]setsar=1,setpts=PTS-STARTPTS[dist];[1:v]{','.join(reference)}[ref];"
        f"[dist][ref]libvmaf=n_threads=2:n_subsample={VMAF_SUBSAMPLE}"
    )
    run = subprocess.run(
        [
            ffmpeg_path(),
            "-hide_banner",
            "-nostdin",
            "-i",
            str(playlist),
            "-i",
            str(source),
            "-lavfi",
            graph,
            "-f",
            "null",
            "-",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=3600,
    )
    found = re.search(r"VMAF score: ([\d.]+)", run.stderr)
    assert run.returncode == 0 and found, run.stderr[-2000:]
    return float(found.group(1))


def _ladder_measure(source: Path, probe: ProbeResult, out_dir: Path, rate_control: str) -> dict:
    encode_s = _ladder_encode(source, probe, out_dir, rate_control)
    rungs = []
    for rung in ladder_for(probe):
        folder = out_dir / rung.name
        text = (folder / PLAYLIST_NAME).read_text()
        measured = playlist_bitrates(text, lambda uri, folder=folder: (folder / uri).stat().st_size)
        rungs.append(
            {
                "rung": rung.name,
                "size": f"{rung.width}x{rung.height}",
                "ceiling_kbps": round(rung.maxrate / 1000),
                "vmaf": round(
                    _vmaf(source, probe, folder / PLAYLIST_NAME, rung.width, rung.height), 2
                ),
                "mean_kbps": round(measured.average_bps / 1000),
                "peak_kbps": round(measured.peak_bps / 1000),
                "bytes_per_minute": round(measured.total_bytes * 60 / measured.duration_s),
            }
        )
    return {
        "encode_s": round(encode_s, 1),
        "bytes_per_minute": sum(r["bytes_per_minute"] for r in rungs),
        "rungs": rungs,
    }


def _targets(clip: str, abr: dict, crf: dict) -> dict:
    bytes_ratio = crf["bytes_per_minute"] / abr["bytes_per_minute"]
    vmaf_drops = [a["vmaf"] - c["vmaf"] for a, c in zip(abr["rungs"], crf["rungs"], strict=True)]
    if clip == "instructional":
        return {
            "bytes <= 0.5x": bytes_ratio <= 0.5,
            "top rung VMAF within 1.5": vmaf_drops[0] <= 1.5,
        }
    if clip == "high-motion":
        return {
            "every rung VMAF within 1": max(vmaf_drops) <= 1.0,
            "bytes <= 1.05x": bytes_ratio <= 1.05,
        }
    return {"every rung VMAF within 1": max(vmaf_drops) <= 1.0}


def test_quality_abr_against_capped_crf(tmp_path, capsys):
    results = {}
    for clip, (make, extension) in CLIPS.items():
        source = make(tmp_path / f"{clip}.{extension}", DURATION_S)
        probe = probe_media(str(source))
        abr = _ladder_measure(source, probe, tmp_path / clip / "abr", "abr")
        crf = _ladder_measure(source, probe, tmp_path / clip / "crf", "crf")
        source.unlink()
        results[clip] = {
            "duration_s": round(probe.duration_s, 2),
            "source": f"{probe.width}x{probe.height}{'i' if probe.interlaced else 'p'}",
            "abr": abr,
            "crf": crf,
            "bytes_ratio": round(crf["bytes_per_minute"] / abr["bytes_per_minute"], 3),
            "encode_time_ratio": round(crf["encode_s"] / abr["encode_s"], 3),
            "targets": _targets(clip, abr, crf),
        }
        with capsys.disabled():
            _print_clip(clip, results[clip])
    RESULTS.mkdir(exist_ok=True)
    summary = {
        "preset": PRESET,
        "crf_by_height": dict(crf_table(settings.MEDIA_X264_CRF)),
        "vmaf_subsample": VMAF_SUBSAMPLE,
        "clips": results,
    }
    (RESULTS / "quality.json").write_text(json.dumps(summary, indent=2))


def _print_clip(clip: str, result: dict) -> None:
    print(
        f"\n[bench] quality {clip} ({result['source']}, {result['duration_s']} s): "
        f"bytes {result['bytes_ratio']}x of ABR, encode time {result['encode_time_ratio']}x"
    )
    print("| rung | ladder | VMAF | mean kb/s | peak kb/s | MB per minute | encode s |")
    for mode in ("abr", "crf"):
        for rung in result[mode]["rungs"]:
            print(
                f"| {rung['rung']} | {mode} | {rung['vmaf']} | {rung['mean_kbps']} | "
                f"{rung['peak_kbps']} | {rung['bytes_per_minute'] / 1e6:.2f} | "
                f"{result[mode]['encode_s']} |"
            )
    for name, met in result["targets"].items():
        print(f"[bench] quality {clip}: {name}: {'met' if met else 'NOT met'}")
