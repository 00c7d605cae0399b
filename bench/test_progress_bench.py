"""`make bench`: the progress heartbeat under load, against a trivial view on the same server.

gunicorn serves the app (the production config) on loopback against the test
database; 200 enrolled learners with real sessions send plausible heartbeats
(wrk rotates session cookies and CSRF tokens per request, over all 13 lessons),
then the same wrk run hits GET /api/ping (no session, no database). Prints
requests/s and p50/p99 latency of both, and their ratio (targets: heartbeat
>= 50 % of ping's rate, heartbeat p99 < 100 ms), and what each request cost in
CPU time of the web server, PostgreSQL and Redis (the two cores are shared, so
the ratio is about the ratio of these costs). Numbers, not assertions;
written to bench-results/progress.json.
"""

import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import CSRF_ALLOWED_CHARS

from courses.catalog.services import curriculum_load
from courses.models import Course, Enrollment, Lesson, LessonProgress
from media_pipeline.models import Video, VideoVersion
from tests.conftest import free_port, subprocess_env

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
CURRICULUM = ROOT / "courses" / "data" / "craniosacral-therapy.yaml"
LEARNERS = 200
DURATION_S = 1800
SECONDS = int(os.environ.get("BENCH_PROGRESS_SECONDS", "20"))
THREADS = 2
CONNECTIONS = int(os.environ.get("BENCH_PROGRESS_CONNECTIONS", "16"))
WRK = shutil.which("wrk") or "/usr/bin/wrk"

# Each request: the next learner (and every LEARNERS requests the next lesson), a
# 1 s range continuing where that thread left this learner+lesson. Every pair is
# revisited only once per LEARNERS x 13 requests, so a beat never claims more than
# the plausibility allowance (2 x wall time since the pair's last beat + slack).
LUA = r"""
local sessions = {SESSIONS}
local lessons = {LESSONS}
local duration = {DURATION}
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = tid * 7919
  cursor = {}
end

function request()
  counter = counter + 1
  local s = counter % #sessions
  local l = math.floor(counter / #sessions) % #lessons
  local key = s * #lessons + l
  local start = cursor[key] or ((tid * 300) % (duration - 1))
  if start + 1 > duration then start = 0 end
  cursor[key] = start + 1
  local body = string.format(
    '{"position_s": %d, "ranges": [[%d, %d]], "playback_rate": 1, "client_ts": %d, '
    .. '"beat_id": "t%d-%d", "csrf_token": "%s"}',
    start + 1, start, start + 1, os.time() * 1000 + counter % 1000, tid, counter,
    sessions[s + 1][2])
  return wrk.format("POST", "/api/lessons/" .. lessons[l + 1] .. "/progress",
    {["Cookie"] = sessions[s + 1][1], ["Content-Type"] = "application/json"}, body)
end
"""

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


def _lua_list(items) -> str:
    return "{" + ", ".join(items) + "}"


def _setup_data() -> tuple[list[int], list[tuple[str, str]]]:
    curriculum_load(path=CURRICULUM)
    course = Course.objects.get(slug="craniosacral-therapy")
    lessons = list(Lesson.objects.filter(course=course).order_by("number"))
    for lesson in lessons:
        video = Video.objects.create(title=f"Bench lesson {lesson.number}")
        video.current_version = VideoVersion.objects.create(
            video=video,
            state=VideoVersion.State.READY,
            playable=True,
            duration_s=DURATION_S,
            original_key=f"originals/bench-{lesson.pk}.mp4",
            original_filename="bench.mp4",
            original_size=1,
        )
        video.save(update_fields=["current_version"])
        lesson.video = video
        lesson.save(update_fields=["video"])
    User = get_user_model()
    password = make_password("bench-password-not-used")
    users = User.objects.bulk_create(
        [User(username=f"bench{n:03d}", password=password) for n in range(LEARNERS)]
    )
    Enrollment.objects.bulk_create([Enrollment(user=u, course=course) for u in users])
    # Sessions as django.contrib.auth.login() would leave them, one per learner.
    credentials = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        csrf = "".join(secrets.choice(CSRF_ALLOWED_CHARS) for _ in range(32))
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={csrf}"
        )
        credentials.append((cookie, csrf))
    return [lesson.pk for lesson in lessons], credentials


def _cpu_seconds(server_pgid: int) -> dict[str, float]:
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


def _wrk(url: str, script: Path, seconds: int, server_pgid: int | None = None) -> dict:
    before = _cpu_seconds(server_pgid) if server_pgid else None
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
        after = _cpu_seconds(server_pgid)
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


@pytest.fixture
def server(transactional_db, tmp_path):
    """(base URL, process group) of gunicorn with the production config on a free loopback
    port, against the test DB."""
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 (closed at teardown)
    env = subprocess_env(
        # Recycling workers every 1000 requests would measure Django's start-up, not requests.
        WEB_MAX_REQUESTS="0",
        WEB_LOG_LEVEL="warning",
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


def test_heartbeat_against_trivial_view(server, tmp_path, capsys):
    server, server_pgid = server
    lessons, credentials = _setup_data()
    sessions = _lua_list(f'{{"{cookie}", "{token}"}}' for cookie, token in credentials)
    beat_lua = tmp_path / "progress.lua"
    beat_lua.write_text(
        LUA.replace("{SESSIONS}", sessions)
        .replace("{LESSONS}", _lua_list(str(pk) for pk in lessons))
        .replace("{DURATION}", str(DURATION_S))
        + DONE
    )
    ping_lua = tmp_path / "ping.lua"
    ping_lua.write_text(DONE)

    # Warm every worker (imports, database connections) before measuring.
    _wrk(f"{server}/api/ping", ping_lua, 2)
    heartbeat = _wrk(server, beat_lua, SECONDS, server_pgid)
    ping = _wrk(f"{server}/api/ping", ping_lua, SECONDS, server_pgid)

    rows = LessonProgress.objects.count()
    ratio = heartbeat["requests_per_s"] / ping["requests_per_s"]
    result = {
        "heartbeat": heartbeat,
        "ping": ping,
        "ratio": round(ratio, 3),
        "ratio_target_met": ratio >= 0.5,
        "heartbeat_p99_target_met": heartbeat["p99_ms"] < 100,
        "progress_rows": rows,
        "learners": LEARNERS,
        "lessons": len(lessons),
        "seconds": SECONDS,
        "wrk": f"-t{THREADS} -c{CONNECTIONS}",
        "gunicorn_workers": os.environ.get("WEB_CONCURRENCY")
        or min(2 * len(os.sched_getaffinity(0)) + 1, 8),
        "cores": os.cpu_count(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "progress.json").write_text(json.dumps(result, indent=2))
    with capsys.disabled():
        print(
            f"\n[bench] progress heartbeat: {heartbeat['requests_per_s']} req/s, "
            f"p50 {heartbeat['p50_ms']} ms, p99 {heartbeat['p99_ms']} ms, "
            f"{heartbeat['non_2xx']} non-2xx"
        )
        print(
            f"[bench] trivial view /api/ping: {ping['requests_per_s']} req/s, "
            f"p50 {ping['p50_ms']} ms, p99 {ping['p99_ms']} ms"
        )
        for name, run in (("heartbeat", heartbeat), ("ping", ping)):
            print(
                f"[bench] CPU per {name}: web {run['web_cpu_ms_per_request']} ms, "
                f"postgres {run['postgres_cpu_ms_per_request']} ms, "
                f"redis {run['redis_cpu_ms_per_request']} ms"
            )
        print(
            f"[bench] ratio {ratio:.2f} (target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'}); "
            f"heartbeat p99 < 100 ms: {'met' if heartbeat['p99_ms'] < 100 else 'NOT met'}"
        )
        print("[bench] " + json.dumps(result))
