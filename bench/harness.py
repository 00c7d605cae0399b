"""What the wrk benchmarks share: gunicorn on loopback against the test database, wrk runs
summarised as JSON, and the CPU each request cost the web server, PostgreSQL and Redis."""

import json
import os
import shutil
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import free_port, subprocess_env

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
THREADS = 2
CONNECTIONS = int(os.environ.get("BENCH_PROGRESS_CONNECTIONS", "16"))
WRK = shutil.which("wrk") or "/usr/bin/wrk"

DONE = r"""
function done(summary, latency, requests)
  io.write(string.format('WRK_JSON {"requests": %d, "duration_us": %d, "non_2xx": %d, '
    .. '"connect_errors": %d, "read_errors": %d, "timeouts": %d, "p50_us": %d, '
    .. '"p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.timeout, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def cpu_seconds(server_pgid: int) -> dict[str, float]:
    """CPU time (user + system) so far of the web server's processes, PostgreSQL and Redis.

    Linux /proc; what each request costs the machine, not only the app, explains the
    ratio: both kinds of request share the same two cores.
    """
    totals = {"web": 0.0, "postgres": 0.0, "redis": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / tick
        if int(fields[2]) == server_pgid:
            totals["web"] += used
        elif comm == "postgres":
            totals["postgres"] += used
        elif comm == "redis-server":
            totals["redis"] += used
    return totals


def wrk_run(url: str, script: Path, seconds: int, server_pgid: int | None = None) -> dict:
    before = cpu_seconds(server_pgid) if server_pgid else None
    out = subprocess.run(
        [WRK, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    raw = json.loads(line.removeprefix("WRK_JSON "))
    cpu = {}
    if before is not None:
        after = cpu_seconds(server_pgid)
        # Dead workers' time is lost, which undercounts: WEB_MAX_REQUESTS=0 keeps them alive.
        cpu = {
            f"{name}_cpu_ms_per_request": round(
                (after[name] - before[name]) * 1000 / raw["requests"], 3
            )
            for name in after
        }
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["connect_errors"] + raw["read_errors"] + raw["timeouts"],
        **cpu,
    }


@contextmanager
def gunicorn_server(tmp_path: Path, **extra_env: str):
    """(base URL, process group) of gunicorn with the production config on a free loopback
    port, against the test DB."""
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 (closed at teardown)
    env = subprocess_env(
        # Recycling workers every 1000 requests would measure Django's start-up, not requests.
        WEB_MAX_REQUESTS="0",
        WEB_LOG_LEVEL="warning",
        **extra_env,
    )
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            str(ROOT / "platform/gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "config.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/ping", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            raise RuntimeError((tmp_path / "gunicorn.log").read_text()[-3000:])
        time.sleep(0.3)
    yield base, proc.pid
    os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
    log.close()
