"""Remembered player settings: kept per learner on the server, checked, and in every lesson
page the learner opens (the browser side: test_player_browser.py)."""

import html
import json
import re

import pytest
from django.test import Client

from courses.models import Enrollment, PlayerSettings
from tests.factories import CourseFactory, LessonFactory, UserFactory, ready_video_create

pytestmark = pytest.mark.django_db
URL = "/api/me/player-settings"


@pytest.fixture
def learner_client():
    course = CourseFactory()
    for number in (1, 2):
        LessonFactory(course=course, number=number, video=ready_video_create(300))
    user = UserFactory()
    Enrollment.objects.create(user=user, course=course)
    client = Client()
    client.force_login(user)
    client.course, client.user = course, user
    return client


def patch(client, body):
    return client.patch(URL, json.dumps(body), content_type="application/json")


def embedded(page: str) -> dict:
    found = re.search(r'data-player-settings="([^"]*)"', page)
    return json.loads(html.unescape(found.group(1)))


def test_defaults_then_changes_are_kept(learner_client):
    assert learner_client.get(URL).json() == {
        "speed": 1.0, "quality": "auto", "captions": False, "captions_language": "",
        "mirror": False, "volume": 1.0, "muted": False,
    }  # fmt: skip
    wanted = {"speed": 1.25, "quality": "480", "captions": True, "captions_language": "pt-BR",
              "mirror": True, "volume": 0.5}  # fmt: skip
    changed = patch(learner_client, wanted)
    assert changed.status_code == 200
    assert patch(learner_client, {"muted": True}).json()["speed"] == 1.25  # the rest stays
    row = PlayerSettings.objects.get(user=learner_client.user)
    assert (row.speed, row.quality, row.captions_language, row.muted) == (
        1.25,
        "480",
        "pt-BR",
        True,
    )


@pytest.mark.parametrize(
    "body",
    [{"speed": 3}, {"speed": "fast"}, {"quality": "best"}, {"captions": "yes"},
     {"captions_language": "<script>"}, {"volume": 1.5}, {"volume": True}, {"zoom": 2}, {},
     {"speed": 1.5, "volume": -1}],
)  # fmt: skip
def test_a_bad_value_is_refused_and_nothing_changes(learner_client, body):
    response = patch(learner_client, body)
    assert response.status_code == 400 and response.json()["detail"]
    assert not PlayerSettings.objects.exists()


def test_anonymous_has_no_server_settings():
    assert Client().get(URL).status_code == 401
    assert Client().patch(URL, "{}", content_type="application/json").status_code == 401


def test_every_lesson_page_carries_the_learners_settings(learner_client):
    patch(learner_client, {"speed": 1.75, "mirror": True})
    slug = learner_client.course.slug
    for number in (1, 2):
        page = learner_client.get(f"/courses/{slug}/lessons/{number}/").content.decode()
        settings = embedded(page)
        assert settings["speed"] == 1.75 and settings["mirror"] is True
        assert 'data-settings-url="/api/me/player-settings"' in page
    # Another learner's page has their own (the defaults).
    other = Client()
    other_user = UserFactory()
    Enrollment.objects.create(user=other_user, course=learner_client.course)
    other.force_login(other_user)
    assert embedded(other.get(f"/courses/{slug}/lessons/1/").content.decode())["speed"] == 1.0
