"""Redis stopped while learners browse and send beats (issue 13, fault 1).

One redis-server of the test's own is the broker (/0) and the cache and sessions (/1) of a
gunicorn web server and a Celery worker; it keeps an append-only file, as compose's does.
While it is down: pages, logging in and beats keep working from the database, nothing
answers 500, and /api/health says the broker is down. A transcode queued before the outage
waits in Redis; one whose queueing fails during the outage stays "uploaded" until the
stuck-versions sweeper queues it again. Once Redis is back, all of them end ready, and the
stored ranges are exactly what the learners played.

Time runs ten times faster than in a browser (a beat every ~1 s), and the plausibility
slack is scaled the same way (see test_postgres_restart.py).
"""

import logging
import re
import signal
import time

import pytest

from media_pipeline.models import VideoVersion
from tests.conftest import upload_through_multipart
from tests.faults.conftest import (
    Learner,
    Player,
    assert_same_ranges,
    celery_broker,
    service_env,
    wait_for,
)
from tests.faults.seed import learning_setup
from tests.media_pipeline.conftest import make_clip

pytestmark = pytest.mark.slow
State = VideoVersion.State
TIME_SCALE = {"PROGRESS_SLACK_S": "1.5", "PROGRESS_FIRST_BEAT_MAX_S": "4"}
# The sweeper: a version nobody claimed for 4 s is queued again, every 2 s.
SWEEPER = {"MEDIA_STUCK_AFTER_S": "4", "MEDIA_SWEEP_INTERVAL_S": "2", "MEDIA_LEASE_TTL_S": "6"}


def _state(version: VideoVersion) -> str:
    version.refresh_from_db()
    return version.state


def test_redis_outage_keeps_the_site_up_loses_no_beat_and_no_transcode(
    redis_factory, fault_seaweedfs, fault_worker_factory, web_server_factory, tmp_path, caplog
):
    redis_server = redis_factory(appendonly=True)
    seeded = learning_setup(learners=3)
    web = web_server_factory(
        service_env(redis_server=redis_server, s3=fault_seaweedfs, **TIME_SCALE)
    )
    worker = fault_worker_factory(
        service_env(redis_server=redis_server, s3=fault_seaweedfs, **SWEEPER)
    )
    logs = [("worker", worker.output), ("web", web.output), ("redis", redis_server.log)]
    clips = [make_clip(tmp_path / f"clip{n}.mp4", size="320x240", duration=2) for n in range(3)]

    course_page = f"/courses/{seeded['course_slug']}/"
    lesson_page = f"{course_page}lessons/{seeded['lesson_number']}/"
    pages = ("/", "/dashboard/", course_page, lesson_page, "/articles/")
    first, second, leaving = (Learner(web.url, lesson_id=seeded["lesson_id"]) for _ in range(3))
    for learner in (first, leaving):
        username = seeded["usernames"][0 if learner is first else 2]
        assert learner.log_in(username, seeded["password"]).status_code == 302
    players = [Player(first, duration_s=seeded["duration_s"])]

    def play_round() -> list[int]:
        statuses = [status for player in players for status in player.tick()]
        time.sleep(1.0)  # the player's beat interval (scaled), not a wait for a condition
        return statuses

    def browse(learner: Learner) -> set[int]:
        return {learner.get(path).status_code for path in pages}

    assert browse(first) == {200}
    for _ in range(2):
        assert set(play_round()) == {200}

    # Queued before the outage: the worker takes the first at once; the second waits in Redis.
    with celery_broker(redis_server.url(0)):
        before = [upload_through_multipart(clip) for clip in clips[:2]]
        wait_for(
            lambda: _state(before[0]) != State.UPLOADED,
            timeout=60,
            what="the worker to take the first transcode",
            logs=logs,
        )

        redis_server.stop(sig=signal.SIGTERM)
        outage_answers = len(first.answers)

        # While Redis is down: a transcode whose queueing fails, learners browse, log in and out.
        with caplog.at_level(logging.ERROR, logger="media_pipeline.processing.enqueue"):
            during = upload_through_multipart(clips[2])
        assert during.state == State.UPLOADED
        assert any("could not queue" in r.getMessage() for r in caplog.records), caplog.text
        for _ in range(3):
            assert set(play_round()) == {200}  # from the database
            assert browse(first) == {200}
        assert second.log_in(seeded["usernames"][1], seeded["password"]).status_code == 302
        assert browse(second) == {200}
        players.append(Player(second, duration_s=seeded["duration_s"]))
        for _ in range(2):
            assert set(play_round()) == {200}
        health = first.get("/api/health")
        assert health.status_code == 503
        assert health.json()["status"] == "down: broker", health.json()
        assert health.json()["database"]["ok"] and health.json()["storage"]["ok"]
        assert leaving.log_out().status_code == 302
        assert leaving.get("/dashboard/").status_code == 302  # to the log-in page
        slow = [answer for answer in first.answers[outage_answers:] if answer[2] > 2.0]
        assert not slow, f"answers slower than 2 s while Redis was down: {slow}"

        redis_server.start()  # the same port and directory: the append-only file is replayed

    for _ in range(2):
        assert set(play_round()) == {200}
        assert browse(first) == {200} and browse(second) == {200}
    wait_for(
        lambda: first.get("/api/health").status_code == 200,
        timeout=30,
        what="/api/health to see the broker again",
        logs=logs,
    )
    versions = [*before, during]
    wait_for(
        lambda: all(_state(v) in VideoVersion.FINAL_STATES for v in versions),
        timeout=90,
        what="every transcode to finish after the outage",
        logs=logs,
    )
    assert [v.state for v in versions] == [State.READY] * 3, [
        (v.state, v.state_reason) for v in versions
    ]
    for version in versions:
        version.video.refresh_from_db()
        assert version.video.current_version_id == version.pk

    assert [v.attempts for v in versions] == [1, 1, 1]  # none of them ran twice
    assert re.search(r"'requeued': [1-9]", worker.output())  # the sweeper queued `during`
    assert leaving.get("/dashboard/").status_code == 302

    from courses.models import LessonProgress

    for learner, username in ((first, seeded["usernames"][0]), (second, seeded["usernames"][1])):
        assert learner.settled() and not learner.refused, (learner.queue, learner.refused)
        progress = LessonProgress.objects.get(
            user__username=username, lesson_id=seeded["lesson_id"]
        )
        assert_same_ranges(progress.intervals, learner.played)
    errors = [
        (what, status)
        for learner in (first, second, leaving)
        for what, status, _ in learner.answers
        if status >= 500 and what != "GET /api/health"
    ]
    assert not errors, errors
    assert "Internal Server Error" not in web.output()


@pytest.mark.xfail(
    strict=True,
    reason="bug, not fixed here (courses/accounts/sessions.py is another change's): a log-out "
    "while Redis is unreachable deletes the session row, but the cache's copy cannot be "
    "deleted, and once Redis answers again (compose keeps an append-only file) cached_db "
    "serves that copy: the ended session is signed in again until the copy expires",
)
def test_a_session_ended_while_redis_was_down_stays_ended_once_redis_is_back(
    transactional_db, redis_factory, web_server_factory
):
    redis_server = redis_factory(appendonly=True)
    seeded = learning_setup(learners=1)
    web = web_server_factory(service_env(redis_server=redis_server))
    learner = Learner(web.url, lesson_id=seeded["lesson_id"])
    assert learner.log_in(seeded["usernames"][0], seeded["password"]).status_code == 302
    assert learner.get("/dashboard/").status_code == 200
    kept_cookie = learner.http.cookies["sessionid"]  # a copy: another tab, a stolen cookie

    redis_server.stop(sig=signal.SIGTERM)
    assert learner.log_out().status_code == 302
    learner.http.cookies.set("sessionid", kept_cookie)
    assert learner.get("/dashboard/").status_code == 302  # ended, read from the database
    redis_server.start()

    assert learner.get("/dashboard/").status_code == 302
