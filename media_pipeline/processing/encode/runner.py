"""Run one ffmpeg command with progress reporting, a hard timeout and no orphans.

* ffmpeg runs in its own session/process group, so a timeout kills it and anything it spawned
  with a single ``killpg`` and never touches the worker's own group.
* ``PR_SET_PDEATHSIG(SIGKILL)``: if the Celery worker is ``kill -9``'d (OOM killer, a hard time
  limit, a deploy), the kernel kills ffmpeg too. Without it ffmpeg would be re-parented to init
  and keep writing into a work directory that a retry of the same task is also writing into.
* ``-progress pipe:1`` is read from stdout in the *calling* thread, so ``on_progress`` (which
  typically saves a model through the Django ORM) runs in the thread that owns the DB
  connection. Raising from ``on_progress`` (e.g. "job cancelled") kills ffmpeg and propagates.
* stderr is drained by a thread into a bounded buffer: a chatty or hostile input cannot make the
  worker hold megabytes of log, and a full pipe can never block ffmpeg.
* The ffmpeg binary is the static build from imageio-ffmpeg (ffmpeg 9 with libx264), not
  whatever the OS provides: Debian's /usr/bin/ffmpeg has a different version, different codec
  set and different defaults, and the command lines in ``commands.py`` are tested against this
  one. ``$FFMPEG_BINARY`` overrides it.
"""

from __future__ import annotations

import collections
import ctypes
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence

import imageio_ffmpeg

ENV_VAR = "FFMPEG_BINARY"
PROGRESS_INTERVAL_S = 1.0
STDERR_TAIL_LINES = 40
STDERR_MAX_LINE = 2000
_PR_SET_PDEATHSIG = 1


def ffmpeg_path() -> str:
    """Return the ffmpeg executable: ``$FFMPEG_BINARY`` if set, else imageio-ffmpeg's binary."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        return override
    return imageio_ffmpeg.get_ffmpeg_exe()


class FFmpegError(Exception):
    """Base class for ffmpeg execution failures."""


class FFmpegTimeout(FFmpegError):
    def __init__(self, timeout_s: float, stderr_tail: str = "") -> None:
        super().__init__(f"ffmpeg did not finish within {timeout_s:g} s")
        self.timeout_s = timeout_s
        self.stderr_tail = stderr_tail


class FFmpegFailed(FFmpegError):
    def __init__(self, message: str, returncode: int | None = None, stderr_tail: str = "") -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


def run_ffmpeg(
    cmd: Sequence[str],
    *,
    timeout_s: float,
    on_progress: Callable[[float], None] | None,
    duration_s: float,
    cwd: str | os.PathLike[str] | None = None,
) -> None:
    """Run ``cmd`` (which should contain ``-progress pipe:1``) to completion.

    ``on_progress`` receives a percentage 0..100, at most about once per second, and 100 when
    ffmpeg reports ``progress=end``. Raises :class:`FFmpegTimeout` after ``timeout_s`` seconds
    (the whole process group is SIGKILLed first) or :class:`FFmpegFailed` on a non-zero exit.
    """
    proc = _spawn(cmd, cwd)
    stderr = _StderrTail(proc.stderr)
    stderr.start()
    try:
        finished = _pump_progress(proc, timeout_s, on_progress, duration_s)
        if not finished:
            _kill_group(proc)
            stderr.join(timeout=2)
            raise FFmpegTimeout(timeout_s, stderr.text())
    except BaseException:
        _kill_group(proc)  # timeout, a raising on_progress, KeyboardInterrupt, task revoke...
        raise
    finally:
        proc.wait()
        stderr.join(timeout=2)
        if proc.stdout:
            proc.stdout.close()
    if proc.returncode != 0:
        raise FFmpegFailed(
            _failure_message(proc.returncode, stderr.text()), proc.returncode, stderr.text()
        )


# --------------------------------------------------------------------------- process control


def _spawn(cmd: Sequence[str], cwd: str | os.PathLike[str] | None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        list(cmd),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_child_setup(os.getpid()) if sys.platform.startswith("linux") else None,
        close_fds=True,
    )


def _child_setup(parent_pid: int) -> Callable[[], None]:
    # Resolve prctl in the parent: the child must do as little as possible between fork and exec.
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    sig = int(signal.SIGKILL)

    def setup() -> None:
        # Note: the death signal fires when the *thread* that forked exits. Celery prefork runs
        # tasks in the worker process' main thread, so that is the process lifetime there.
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(1)  # the parent died before prctl took effect

    return setup


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # Only while the leader is unreaped: after wait() its pid (= pgid) could be reused.
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:
        proc.kill()


# --------------------------------------------------------------------------- progress


def _pump_progress(
    proc: subprocess.Popen[bytes],
    timeout_s: float,
    on_progress: Callable[[float], None] | None,
    duration_s: float,
) -> bool:
    """Read -progress output until EOF and exit. Returns False on timeout."""
    deadline = time.monotonic() + timeout_s
    reporter = _ProgressReporter(on_progress, duration_s)
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf = b""
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if not sel.select(timeout=min(remaining, 0.5)):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break  # ffmpeg closed stdout: it is exiting
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                reporter.feed(line.decode("ascii", "replace").strip())
            buf = buf[-4096:]  # a line without newline cannot grow forever
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return False
    return True


class _ProgressReporter:
    """Turns ``key=value`` lines into throttled percentages."""

    def __init__(self, callback: Callable[[float], None] | None, duration_s: float) -> None:
        self._callback = callback
        self._duration_us = max(duration_s, 1e-3) * 1_000_000
        self._last_emit = float("-inf")
        self._percent = 0.0

    def feed(self, line: str) -> None:
        key, _, value = line.partition("=")
        # out_time_ms is microseconds too (a long-standing ffmpeg misnomer).
        if key in ("out_time_us", "out_time_ms"):
            self._update(value)
        elif key == "progress":
            if value == "end":
                self._emit(100.0, force=True)
            else:
                self._emit(self._percent)

    def _update(self, value: str) -> None:
        try:
            us = int(value)
        except ValueError:
            return  # "N/A" before the first frame is out
        self._percent = max(self._percent, min(100.0, 100.0 * us / self._duration_us))

    def _emit(self, percent: float, *, force: bool = False) -> None:
        now = time.monotonic()
        if self._callback is None or (not force and now - self._last_emit < PROGRESS_INTERVAL_S):
            return
        self._last_emit = now
        self._callback(percent)


# --------------------------------------------------------------------------- stderr


class _StderrTail(threading.Thread):
    """Drains a pipe, keeping only the last lines (each truncated)."""

    def __init__(self, pipe: object) -> None:
        super().__init__(name="ffmpeg-stderr", daemon=True)
        self._pipe = pipe
        self._lines: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._lock = threading.Lock()

    def run(self) -> None:
        fd = self._pipe.fileno()  # type: ignore[attr-defined]
        partial = b""
        try:
            while chunk := os.read(fd, 65536):
                *lines, partial = (partial + chunk).split(b"\n")
                self._add(lines)
                partial = partial[-STDERR_MAX_LINE:]
            self._add([partial] if partial else [])
        except OSError:
            pass
        finally:
            self._pipe.close()  # type: ignore[attr-defined]

    def _add(self, lines: list[bytes]) -> None:
        with self._lock:
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    self._lines.append(line[:STDERR_MAX_LINE])

    def text(self) -> str:
        with self._lock:
            return "\n".join(self._lines)


def _failure_message(returncode: int, stderr_tail: str) -> str:
    if returncode < 0:
        head = f"ffmpeg killed by signal {-returncode}"
    else:
        head = f"ffmpeg exited with status {returncode}"
    tail = "\n".join(stderr_tail.splitlines()[-10:])
    return f"{head}: {tail}" if tail else head
