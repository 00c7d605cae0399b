"""PostgreSQL restarted under heartbeat load (issue 13, fault 3).

gunicorn (the platform's config, two workers) serves a cluster of this test's own. Learners
play a lesson and send beats the way the player does; the cluster is stopped, and while it
is down every beat and page must be answered quickly with a 503 and Retry-After (not a 500,
not a hang), so the player keeps its beats; once the cluster is back the same beats go
through and the stored ranges are exactly what was played.

Time runs ten times faster than in a browser: a beat every ~1 s instead of every 10 s, so
the plausibility slack is scaled the same way (1.5 s instead of 15 s, and the first beat
4 s instead of 40 s). The outage, ~5 s, stands for ~50 s in a learner's life.
"""

import json
import subprocess
import time

import pytest

from tests.conftest import subprocess_env
from tests.faults.conftest import (
    ROOT,
    Learner,
    Player,
    assert_same_ranges,
    service_env,
    wait_for,
)

pytestmark = pytest.mark.slow

FAST_ANSWER_S = 2.0  # "within a couple of seconds", each answer while the database is down
TIME_SCALE = {"PROGRESS_SLACK_S": "1.5", "PROGRESS_FIRST_BEAT_MAX_S": "4"}


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_requests_fail_fast_with_503_while_postgres_is_down_and_no_beat_is_lost(
    pg_cluster, redis_factory, fault_seaweedfs, web_server_factory
):
    pg_cluster.sql("postgres", "CREATE DATABASE faults")
    redis_server = redis_factory()
    db_env = {"DATABASE_URL": pg_cluster.url("faults")}
    _manage(subprocess_env(**db_env), "manage.py", "migrate", "--no-input", "-v0")
    seeded = json.loads(_manage(subprocess_env(**db_env), "-m", "tests.faults.seed", "3"))
    env = service_env(redis_server=redis_server, s3=fault_seaweedfs, **db_env, **TIME_SCALE)
    web = web_server_factory(env)
    logs = [("web", web.output), ("postgres", pg_cluster.log)]

    lesson_page = f"/courses/{seeded['course_slug']}/lessons/{seeded['lesson_number']}/"
    players = []
    for username in seeded["usernames"]:
        learner = Learner(web.url, lesson_id=seeded["lesson_id"])
        assert learner.log_in(username, seeded["password"]).status_code == 302
        assert learner.get(lesson_page).status_code == 200
        players.append(Player(learner, duration_s=seeded["duration_s"]))

    def play_round() -> list[int]:
        statuses = []
        for player in players:
            statuses += player.tick()
        time.sleep(1.0)  # the player's beat interval (scaled), not a wait for a condition
        return statuses

    for _ in range(3):
        assert set(play_round()) == {200}

    pg_cluster.stop(mode="fast")  # every backend is terminated, the port closes
    outage_started = [len(p.learner.answers) for p in players]
    down_statuses: list[int] = []
    pages: list = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        down_statuses += play_round()
        for path in ("/dashboard/", lesson_page, "/api/health"):
            pages.append(players[0].learner.get(path))
    assert down_statuses and set(down_statuses) == {503}, down_statuses
    for response in pages:
        assert response.status_code == 503, (response.url, response.status_code, response.text)
    health = [r for r in pages if r.url.endswith("/api/health")]
    assert {r.json()["status"] for r in health} == {"down: database"}  # for a signed-in learner
    for response in (r for r in pages if r not in health):
        assert response.headers.get("Retry-After"), response.url
    api_answer = next(r for r in pages if "/api/" in r.url)
    assert api_answer.headers["Content-Type"].startswith("application/json")
    page_answer = next(r for r in pages if r.url.endswith("/dashboard/"))
    assert page_answer.headers["Content-Type"].startswith("text/html")
    assert "try again" in page_answer.text.lower()
    during = [
        answer
        for player, first in zip(players, outage_started, strict=True)
        for answer in player.learner.answers[first:]
    ]
    slow = [answer for answer in during if answer[2] > FAST_ANSWER_S]
    assert not slow, f"answers slower than {FAST_ANSWER_S} s while the database was down: {slow}"
    assert all(p.learner.queue for p in players)  # the player kept its unanswered beats

    pg_cluster.start()

    def all_recorded() -> bool:
        play_round()
        return all(p.learner.settled() for p in players)

    wait_for(all_recorded, timeout=30, what="the queued beats to be recorded", logs=logs)
    for _ in range(2):
        assert set(play_round()) == {200}
    assert players[0].learner.get("/dashboard/").status_code == 200

    for player, username in zip(players, seeded["usernames"], strict=True):
        learner = player.learner
        assert not learner.refused, f"{username}: beats refused, ranges lost: {learner.refused}"
        assert all(status != 500 for _, status, _ in learner.answers), learner.answers
        ((intervals,),) = pg_cluster.sql(
            "faults",
            "SELECT p.intervals FROM courses_lessonprogress p JOIN auth_user u"
            " ON u.id = p.user_id WHERE u.username = %s AND p.lesson_id = %s",
            (username, seeded["lesson_id"]),
        )
        assert_same_ranges(intervals, learner.played)
    assert "Internal Server Error" not in web.output()
