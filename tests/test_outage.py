"""config.outage: a database that cannot be reached answers 503 with Retry-After, never 500.

The real outage (a PostgreSQL cluster stopped under a gunicorn server) is
tests/faults/test_postgres_restart.py; these make the driver fail in-process.
"""

import json
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client, RequestFactory

from config import health
from config.outage import server_error
from tests.factories import LessonFactory, UserFactory, VideoFactory, VideoVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_health(monkeypatch):
    monkeypatch.setattr(health, "_last", None)


def _database_down(error=OperationalError):
    def refuse(*args, **kwargs):
        raise error('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    return mock.patch.object(connection, "ensure_connection", refuse)


@pytest.fixture
def learner_client():
    video = VideoFactory()
    video.current_version = VideoVersionFactory(video=video, ready=True, duration_s=600)
    video.save(update_fields=["current_version"])
    lesson = LessonFactory(video=video)
    user = UserFactory()
    client = Client()
    client.force_login(user)
    client.get("/dashboard/")  # the session is in the cache now, as in production
    return client, lesson


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_beat_while_the_database_is_down_is_a_503_in_json(learner_client, error):
    client, lesson = learner_client
    beat = {"position_s": 5, "ranges": [[0, 5]]}
    with _database_down(error):
        response = client.post(
            f"/api/lessons/{lesson.pk}/progress",
            data=json.dumps(beat),
            content_type="application/json",
        )
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"].startswith("The service is briefly unavailable")
    assert int(response["Retry-After"]) > 0


def test_a_page_while_the_database_is_down_is_a_plain_503_page(learner_client):
    client, _ = learner_client
    with _database_down():
        response = client.get("/dashboard/")
    assert response.status_code == 503
    assert response["Retry-After"] and response["Content-Type"].startswith("text/html")
    assert b"try again in a moment" in response.content
    assert "Content-Security-Policy" in response.headers  # the site's headers are still set


def test_health_names_the_database_for_a_signed_in_visitor_too(learner_client, seaweedfs):
    client, _ = learner_client
    with _database_down():
        response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["status"] == "down: database"


def test_a_database_error_outside_a_view_is_a_503_too_and_any_other_error_a_500():
    request = RequestFactory().get("/dashboard/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503 and response["Retry-After"]
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500
