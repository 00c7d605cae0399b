"""The studio's chapter editor (technique times, all or none, checked per technique) and
caption uploads (WebVTT or SRT, line-numbered errors, what was typed kept)."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from courses.models import LessonCaption, Technique
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    UserFactory,
    ready_video_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson():
    course = CourseFactory()
    lesson = LessonFactory(course=course, number=3, video=ready_video_create(120))
    for n in (1, 2):
        Technique.objects.create(course=course, lesson=lesson, number=n, name=f"Hold {n}")
    return lesson


@pytest.fixture
def staff():
    client = Client()
    client.force_login(InstructorFactory())
    return client


def save(client, lesson, rows):
    return client.post(
        f"/api/studio/lessons/{lesson.pk}/techniques",
        json.dumps({"techniques": rows}),
        content_type="application/json",
    )


def test_times_are_saved_all_together(lesson, staff):
    first, second = lesson.techniques.order_by("number")
    response = save(staff, lesson, [{"id": first.pk, "start_s": 2.0, "end_s": 4.5},
                                    {"id": second.pk, "start_s": 10, "end_s": 20}])  # fmt: skip
    assert response.status_code == 200
    first.refresh_from_db()
    assert (first.start_s, first.end_s) == (2.0, 4.5)
    chapters = staff.get(f"/api/lessons/{lesson.pk}/chapters.vtt").content.decode()
    assert "00:00:02.000 --> 00:00:04.500" in chapters


def test_a_wrong_time_refuses_everything_and_says_which(lesson, staff):
    first, second = lesson.techniques.order_by("number")
    response = save(staff, lesson, [{"id": first.pk, "start_s": 5, "end_s": 8},
                                    {"id": second.pk, "start_s": 30, "end_s": 10}])  # fmt: skip
    assert response.status_code == 400
    assert "after the start" in response.json()["errors"][str(second.pk)]
    past = save(staff, lesson, [{"id": first.pk, "start_s": 100, "end_s": 200}])
    assert "past the end" in past.json()["errors"][str(first.pk)]
    first.refresh_from_db()
    assert first.start_s is None  # nothing saved


def test_only_staff_who_manage_lessons_edit(lesson):
    learner = Client()
    learner.force_login(UserFactory())
    assert learner.get(f"/studio/lessons/{lesson.pk}/editor/").status_code == 403
    assert save(learner, lesson, []).status_code == 403


def test_the_editor_page_lists_the_techniques(lesson, staff):
    page = staff.get(f"/studio/lessons/{lesson.pk}/editor/").content.decode()
    assert (
        "Technique 1: Hold 1" in page and "Starts here" in page and "js/studio-chapters.js" in page
    )


def test_captions_upload_converts_srt_and_explains_bad_files(lesson, staff):
    url = f"/studio/lessons/{lesson.pk}/editor/"
    srt = b"1\n00:00:01,000 --> 00:00:02,000\nHello\n"
    ok = staff.post(url, {"language": "en", "label": "English",
                          "file": SimpleUploadedFile("en.srt", srt)})  # fmt: skip
    assert ok.status_code == 302
    caption = LessonCaption.objects.get(lesson=lesson, language="en")
    assert caption.vtt.startswith("WEBVTT") and "00:00:01.000 --> 00:00:02.000" in caption.vtt
    broken = SimpleUploadedFile("de.vtt", b"WEBVTT\n\n00:01 --> 00:02\nx\n")
    bad = staff.post(url, {"language": "de", "label": "Deutsch", "file": broken})
    html = bad.content.decode()
    assert bad.status_code == 400 and "Line 3" in html
    assert 'value="de"' in html and 'value="Deutsch"' in html  # what was typed stays
    fine = SimpleUploadedFile("x.vtt", b"WEBVTT\n\n00:01.000 --> 00:02.000\nx\n")
    wrong_code = staff.post(url, {"language": "English!", "label": "x", "file": fine})
    assert wrong_code.status_code == 400 and "language code" in wrong_code.content.decode()
    assert LessonCaption.objects.count() == 1
