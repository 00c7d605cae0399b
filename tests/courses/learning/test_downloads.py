"""Offline downloads: allowed per course with per-lesson overrides, for enrolled learners,
counted, limited per day, through a short-lived link that names the file after the lesson."""

import urllib.parse
import urllib.request

import pytest
from django.test import Client

from courses.learning.downloads.services import download_filename
from courses.models import Enrollment, LessonDownload
from media_pipeline.storage import object_put_bytes
from tests.factories import CourseFactory, LessonFactory, UserFactory, ready_video_create

pytestmark = pytest.mark.django_db

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100


@pytest.fixture
def lesson(seaweedfs):
    course = CourseFactory(downloads_allowed=True)
    video = ready_video_create(600)
    version = video.current_version
    version.download_key = f"videos/{video.pk}/{version.pk}/download/720p.mp4"
    version.download_size, version.download_rendition = 312_000_000, "720p"
    version.save(update_fields=["download_key", "download_size", "download_rendition"])
    object_put_bytes(MP4, version.download_key, content_type="video/mp4")
    return LessonFactory(
        course=course, number=5, video=video,
        title="The Cranial Base, Occipital-Atlas Junction and CV-4",
    )  # fmt: skip


def learner_client(lesson):
    user = UserFactory()
    Enrollment.objects.create(user=user, course=lesson.course)
    client = Client()
    client.force_login(user)
    return user, client


def url(lesson) -> str:
    return f"/courses/{lesson.course.slug}/lessons/{lesson.number}/download/"


def test_an_enrolled_learner_downloads_the_mp4_named_after_the_lesson(lesson, settings):
    user, client = learner_client(lesson)
    page = client.get(f"/courses/{lesson.course.slug}/lessons/5/").content.decode()
    assert "Download (720p, 312.0 MB)" in page
    response = client.get(url(lesson))
    assert response.status_code == 302 and response["Cache-Control"] == "no-store"
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(response.url).query)
    assert int(query["X-Amz-Expires"][0]) == settings.DOWNLOAD_URL_TTL_S
    with urllib.request.urlopen(response.url, timeout=10) as stored:
        assert stored.read() == MP4
        disposition = stored.headers["Content-Disposition"]
    assert 'filename="05 - The Cranial Base, Occipital-Atlas Junction and CV-4.mp4"' in disposition
    assert LessonDownload.objects.get().user == user  # counted, for analytics


def test_refused_when_downloads_are_off_or_not_enrolled(lesson):
    assert Client().get(url(lesson)).status_code == 302  # to log in
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(url(lesson)).status_code == 403
    _, client = learner_client(lesson)
    lesson.downloads = False  # this lesson off although the course allows downloads
    lesson.save(update_fields=["downloads"])
    refused = client.get(url(lesson))
    assert refused.status_code == 403 and "cannot be downloaded" in refused.content.decode()
    assert (
        "Download (" not in client.get(f"/courses/{lesson.course.slug}/lessons/5/").content.decode()
    )
    lesson.course.downloads_allowed = False
    lesson.course.save(update_fields=["downloads_allowed"])
    lesson.downloads = True  # ... and on for this lesson alone
    lesson.save(update_fields=["downloads"])
    assert client.get(url(lesson)).status_code == 302
    assert LessonDownload.objects.count() == 1


def test_downloads_are_limited_per_day(lesson, settings):
    settings.DOWNLOADS_PER_DAY = 2
    _, client = learner_client(lesson)
    assert [client.get(url(lesson)).status_code for _ in range(3)] == [302, 302, 429]
    assert LessonDownload.objects.count() == 2


def test_file_names_are_safe_everywhere():
    lesson = LessonFactory.build(number=7, title='Temporal: "ear pull" / rock?  ')
    assert download_filename(lesson) == "07 - Temporal ear pull rock.mp4"


def test_analytics_count_downloads_per_lesson_and_learner(lesson):
    from courses.analytics.selectors import course_stats

    first, client = learner_client(lesson)
    client.get(url(lesson))
    client.get(url(lesson))
    _, other = learner_client(lesson)
    other.get(url(lesson))
    (stats,) = course_stats(course=lesson.course).lessons
    assert (stats.downloads, stats.downloaded_by) == (3, 2)
