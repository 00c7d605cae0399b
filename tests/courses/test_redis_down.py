"""Redis down (issue 13, item 12): signing in, pages, heartbeats and posts keep working from
the database, and queueing work fails soft; nothing answers 500."""

import json

import pytest
from celery import Celery
from django.test import Client
from django.urls import reverse

from config.celery import app as celery_app
from courses.models import Enrollment, LessonProgress
from courses.queue import task_send
from tests.factories import PASSWORD, LessonFactory, UserFactory, VideoFactory, VideoVersionFactory

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:9/0"  # nothing listens on the discard port


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.SESSION_ENGINE = "courses.accounts.sessions"
    settings.PUBLIC_PAGE_CACHE_S = 600


@pytest.fixture
def lesson():
    video = VideoFactory()
    version = VideoVersionFactory(video=video, ready=True, duration_s=600)
    video.current_version = version
    video.save(update_fields=["current_version"])
    return LessonFactory(video=video)


def test_sign_in_pages_and_heartbeats_work_while_redis_is_down(redis_down, lesson):
    user = UserFactory(username="rosa")
    Enrollment.objects.create(user=user, course=lesson.course)
    client = Client()
    assert client.get("/").status_code == 200  # the page cache is skipped, not a 500
    response = client.post(reverse("login"), {"username": "rosa", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("courses:dashboard")).status_code == 200  # session from the DB
    beat = {"position_s": 5, "ranges": [[0, 5]], "client_ts": 1_000}
    response = client.post(
        f"/api/lessons/{lesson.pk}/progress", data=json.dumps(beat), content_type="application/json"
    )
    assert response.status_code == 200
    assert LessonProgress.objects.get(user=user, lesson=lesson).watched_s == 5
    client.post(reverse("logout"))
    assert client.get(reverse("courses:dashboard")).status_code == 302  # logged out for real


def test_queueing_without_a_broker_is_logged_not_raised(caplog):
    dead = Celery("dead", broker=DEAD_REDIS, set_as_current=False)
    dead.conf.broker_connection_timeout = 1
    dead.set_current()
    try:
        assert task_send("courses.commerce.tasks.order_email_send", [1, "receipt"]) is False
    finally:
        celery_app.set_current()
    assert any("could not queue" in record.message for record in caplog.records)
