"""Hardening of the heartbeat's input (issue: client_ts unbounded)."""

import json
import time

import pytest
from django.test import Client

from courses.learning.progress import rules
from courses.learning.progress.heartbeat.services import Beat, progress_beat_record
from courses.models import Enrollment, LessonProgress
from tests.factories import LessonFactory, UserFactory, VideoFactory, VideoVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson():
    video = VideoFactory()
    version = VideoVersionFactory(video=video, ready=True, duration_s=600)
    video.current_version = version
    video.save(update_fields=["current_version"])
    return LessonFactory(video=video)


@pytest.fixture
def learner(lesson):
    user = UserFactory()
    Enrollment.objects.create(user=user, course=lesson.course)
    return user


def test_a_future_client_clock_cannot_pin_the_resume_position(learner, lesson):
    far_future = int(time.time() * 1000) + 10 * 365 * 24 * 3600 * 1000
    progress_beat_record(
        user=learner,
        lesson=lesson,
        beat=Beat(position_s=10, ranges=((0, 10),), client_ts=far_future),
    )
    time.sleep(0.01)
    # Minutes later by the server's clock (beyond the allowed skew), a beat without client_ts:
    later = LessonProgress.objects.get(user=learner, lesson=lesson)
    assert later.position_ts <= int(time.time() * 1000) + rules.CLIENT_CLOCK_SKEW_MS
    later.position_ts -= rules.CLIENT_CLOCK_SKEW_MS + 1000  # as if those minutes had passed
    later.save(update_fields=["position_ts"])
    progress_beat_record(user=learner, lesson=lesson, beat=Beat(position_s=5, ranges=()))
    assert LessonProgress.objects.get(user=learner, lesson=lesson).position_s == 5


@pytest.mark.parametrize("client_ts", [2**63, 2**64 + 5, 1e300, -1, 2**53 + 10])
def test_an_out_of_range_client_ts_is_a_400_not_a_500(learner, lesson, client_ts):
    client = Client()
    client.force_login(learner)
    body = {"position_s": 1, "ranges": [[0, 1]], "client_ts": client_ts}
    response = client.post(
        f"/api/lessons/{lesson.pk}/progress", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert "client_ts" in response.json()["detail"]
