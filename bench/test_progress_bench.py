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

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.middleware.csrf import CSRF_ALLOWED_CHARS

from bench.harness import CONNECTIONS, DONE, RESULTS, ROOT, THREADS, gunicorn_server, wrk_run
from courses.catalog.services import curriculum_load
from courses.models import Course, Enrollment, Lesson, LessonProgress
from media_pipeline.models import Video, VideoVersion

CURRICULUM = ROOT / "courses" / "data" / "craniosacral-therapy.yaml"
LEARNERS = 200
DURATION_S = 1800
SECONDS = int(os.environ.get("BENCH_PROGRESS_SECONDS", "20"))

# Each request: the next learner (and every LEARNERS requests the next lesson), a
# 1 s range continuing where that thread left this learner+lesson. Every pair is
# revisited only once per LEARNERS x 13 requests, so a beat never claims more than
# the plausibility allowance (2 x wall time since the pair's last beat + slack).
BEAT_LUA = r"""
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
  beats = 0
  cursor = {}
end

-- The n-th beat of this thread (id: a number for its beat_id): the next learner, and every
-- #sessions beats the next lesson, a 1 s range continuing where this thread left the pair.
function beat_request(n, id)
  local s = n % #sessions
  local l = math.floor(n / #sessions) % #lessons
  local key = s * #lessons + l
  local start = cursor[key] or ((tid * 300) % (duration - 1))
  if start + 1 > duration then start = 0 end
  cursor[key] = start + 1
  local body = string.format(
    '{"position_s": %d, "ranges": [[%d, %d]], "playback_rate": 1, "client_ts": %d, '
    .. '"beat_id": "t%d-%d", "csrf_token": "%s"}',
    start + 1, start, start + 1, os.time() * 1000 + id % 1000, tid, id,
    sessions[s + 1][2])
  return wrk.format("POST", "/api/lessons/" .. lessons[l + 1] .. "/progress",
    {["Cookie"] = sessions[s + 1][1], ["Content-Type"] = "application/json"}, body)
end
"""

LUA = (
    BEAT_LUA
    + r"""
function request()
  counter = counter + 1
  return beat_request(counter, counter)
end"""
)


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


@pytest.fixture
def server(transactional_db, tmp_path):
    """(base URL, process group) of gunicorn with the production config, against the test DB."""
    with gunicorn_server(tmp_path) as running:
        yield running


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
    wrk_run(f"{server}/api/ping", ping_lua, 2)
    heartbeat = wrk_run(server, beat_lua, SECONDS, server_pgid)
    ping = wrk_run(f"{server}/api/ping", ping_lua, SECONDS, server_pgid)

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
