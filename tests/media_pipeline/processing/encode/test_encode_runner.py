from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from media_pipeline.processing.encode.runner import (
    STDERR_MAX_LINE,
    STDERR_TAIL_LINES,
    FFmpegFailed,
    FFmpegTimeout,
    ffmpeg_path,
    run_ffmpeg,
)


def endless_cmd(marker: str) -> list[str]:
    """A real-time lavfi encode that never ends; ``marker`` tags it in the process table."""
    return [
        ffmpeg_path(), "-nostdin", "-loglevel", "error", "-re",
        "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=10",
        "-metadata", f"comment={marker}",
        "-f", "null", "-", "-progress", "pipe:1", "-nostats",
    ]  # fmt: skip


def pids_with(marker: str, *, ffmpeg_only: bool = False) -> list[int]:
    """Live processes whose argv contains ``marker`` (optionally: only ffmpeg itself)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        argv0 = os.path.basename(cmdline.split(b"\0", 1)[0])
        if ffmpeg_only and not argv0.startswith(b"ffmpeg"):
            continue
        if marker.encode() in cmdline and state != "Z" and int(entry) != os.getpid():
            found.append(int(entry))
    return found


def wait_until(predicate, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_progress_reaches_100_and_is_throttled(normal_clip: Path) -> None:
    calls: list[tuple[float, float]] = []
    cmd = [
        ffmpeg_path(), "-nostdin", "-loglevel", "error", "-re",  # -re: ~3 s, several reports
        "-i", str(normal_clip), "-f", "null", "-", "-progress", "pipe:1", "-nostats",
    ]  # fmt: skip
    run_ffmpeg(
        cmd,
        timeout_s=30,
        on_progress=lambda pct: calls.append((time.monotonic(), pct)),
        duration_s=3.0,
    )
    percents = [p for _, p in calls]
    assert percents[-1] == 100.0
    assert len(percents) >= 2  # intermediate updates, not only the final one
    assert percents == sorted(percents) and all(0 <= p <= 100 for p in percents)
    gaps = [b - a for (a, _), (b, _) in zip(calls, calls[1:-1], strict=False)]
    assert all(g >= 0.9 for g in gaps)  # ~once a second (the final 100 is always sent)


def test_nonzero_exit_raises_with_stderr_tail(tmp_path: Path) -> None:
    cmd = [ffmpeg_path(), "-nostdin", "-i", str(tmp_path / "missing.mp4"), "-f", "null", "-"]
    with pytest.raises(FFmpegFailed) as info:
        run_ffmpeg(cmd, timeout_s=30, on_progress=None, duration_s=1)
    assert info.value.returncode not in (0, None)
    assert "No such file or directory" in str(info.value)


def test_timeout_kills_the_whole_process_group() -> None:
    marker = f"mp-timeout-{uuid.uuid4().hex}"
    # A shell in between: ffmpeg is a grandchild, only a process-group kill reaches it.
    ff = " ".join(endless_cmd(marker))
    cmd = ["/bin/sh", "-c", f"{ff} & {ff} & wait", marker]
    started = time.monotonic()
    assert not pids_with(marker)
    running: list[int] = []  # sampled from inside the run, to prove both ffmpegs were up
    with pytest.raises(FFmpegTimeout):
        run_ffmpeg(
            cmd,
            timeout_s=1.5,
            on_progress=lambda _: running.append(len(pids_with(marker, ffmpeg_only=True))),
            duration_s=60,
        )
    assert time.monotonic() - started < 5
    assert running and max(running) == 2
    assert wait_until(lambda: not pids_with(marker)), pids_with(marker)


def test_exception_in_progress_callback_kills_ffmpeg() -> None:
    marker = f"mp-cancel-{uuid.uuid4().hex}"

    def cancel(_: float) -> None:
        raise RuntimeError("job cancelled")

    with pytest.raises(RuntimeError, match="job cancelled"):
        run_ffmpeg(endless_cmd(marker), timeout_s=30, on_progress=cancel, duration_s=60)
    assert wait_until(lambda: not pids_with(marker))


def test_stderr_is_bounded() -> None:
    # 20 MB of stderr on very long lines, then failure: memory and message stay small.
    script = "head -c 20000000 /dev/zero | tr '\\0' 'x' >&2; printf '\\nlast words\\n' >&2; exit 3"
    with pytest.raises(FFmpegFailed) as info:
        run_ffmpeg(["/bin/sh", "-c", script], timeout_s=30, on_progress=None, duration_s=1)
    err = info.value
    assert err.returncode == 3
    assert len(err.stderr_tail) <= STDERR_TAIL_LINES * (STDERR_MAX_LINE + 1)
    assert err.stderr_tail.endswith("last words")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_ffmpeg_dies_with_a_killed_worker(tmp_path: Path) -> None:
    """kill -9 of the parent (a Celery worker) must not leave an orphan ffmpeg behind."""
    marker = f"mp-orphan-{uuid.uuid4().hex}"
    worker = textwrap.dedent(
        f"""
        from media_pipeline.processing.encode.runner import run_ffmpeg
        run_ffmpeg({endless_cmd(marker)!r}, timeout_s=60, on_progress=None, duration_s=60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", worker], cwd=os.getcwd())
    try:
        # The worker's own argv holds the marker too: wait for ffmpeg itself.
        assert wait_until(lambda: bool(pids_with(marker, ffmpeg_only=True))), "no ffmpeg started"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
        assert wait_until(lambda: not pids_with(marker)), "orphan ffmpeg survived its parent"
    finally:
        for pid in pids_with(marker):
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
