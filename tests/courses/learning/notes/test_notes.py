"""Notes and bookmarks at moments of a lesson: private (another learner's id is 404), in
time order beside the player, across the course on "My notes", exported as Markdown and PDF."""

import io
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from courses.learning.notes.services import note_create
from courses.models import Enrollment, LessonNote, Technique
from tests.courses.inert_html import XSS_PAYLOADS, html_problems
from tests.factories import CourseFactory, LessonFactory, UserFactory, ready_video_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson():
    course = CourseFactory(title="Cranial course")
    lesson = LessonFactory(
        course=course, number=3, title="The cranial base", video=ready_video_create(600)
    )
    Technique.objects.create(
        course=course, lesson=lesson, number=7, name="CV-4", start_s=30, end_s=90
    )
    LessonFactory(course=course, number=4, title="The sacrum", video=ready_video_create(300))
    return lesson


def enrolled(lesson, **kwargs):
    user = UserFactory(**kwargs)
    Enrollment.objects.create(user=user, course=lesson.course)
    client = Client()
    client.force_login(user)
    return user, client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_note_is_saved_at_its_moment_and_shown_in_time_order(lesson):
    user, client = enrolled(lesson)
    url = f"/api/lessons/{lesson.pk}/notes"
    technique = lesson.techniques.get()
    later = post(client, url, {"time_s": 125.5, "body": "Hands *cupped* under the occiput"})
    assert later.status_code == 201
    assert later.json()["body_html"] == "<p>Hands <em>cupped</em> under the occiput</p>"
    earlier = post(
        client, url, {"time_s": 42, "body": "Still point here", "technique_id": technique.pk}
    )
    assert earlier.status_code == 201 and earlier.json()["technique_id"] == technique.pk
    bookmark = post(client, url, {"time_s": 300})
    assert bookmark.status_code == 201 and bookmark.json()["body"] == ""
    listed = client.get(url).json()["notes"]
    assert [n["time_s"] for n in listed] == [42, 125.5, 300]
    page = client.get(f"/courses/{lesson.course.slug}/lessons/3/").content.decode()
    assert "Add note" in page  # the player's control
    first, second = page.index("Still point here"), page.index("Hands <em>cupped</em>")
    assert first < second  # time order
    assert ">0:42</a>" in page and ">2:06</a>" in page  # each note shows its time
    assert 'data-time="125.5"' in page and "Bookmark" in page


def test_another_learners_notes_are_not_found(lesson):
    owner, owner_client = enrolled(lesson)
    note = note_create(user=owner, lesson=lesson, time_s=10, body="Mine alone")
    _, other = enrolled(lesson)
    assert other.patch(f"/api/notes/{note.pk}", json.dumps({"body": "x"}),
                       content_type="application/json").status_code == 404  # fmt: skip
    assert other.delete(f"/api/notes/{note.pk}").status_code == 404
    assert other.get(f"/api/lessons/{lesson.pk}/notes").json() == {"notes": []}
    assert (
        "Mine alone" not in other.get(f"/courses/{lesson.course.slug}/lessons/3/").content.decode()
    )
    assert "Mine alone" not in other.get(f"/courses/{lesson.course.slug}/notes/").content.decode()
    note.refresh_from_db()
    assert note.body == "Mine alone"
    # A note id that does not exist answers the same.
    assert other.delete("/api/notes/99999999").status_code == 404
    # The owner changes and deletes it.
    changes = json.dumps({"body": "Edited", "time_s": 12})
    changed = owner_client.patch(f"/api/notes/{note.pk}", changes, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["time_s"] == 12
    assert owner_client.delete(f"/api/notes/{note.pk}").status_code == 200
    assert not LessonNote.objects.exists()


def test_only_learners_who_may_record_keep_notes(lesson):
    url = f"/api/lessons/{lesson.pk}/notes"
    assert post(Client(), url, {"time_s": 1}).status_code == 401
    stranger = Client()
    stranger.force_login(UserFactory())
    assert post(stranger, url, {"time_s": 1}).status_code == 404
    assert stranger.get(url).status_code == 404
    assert not LessonNote.objects.exists()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"time_s": 601.5}, "within the video"),
        ({"time_s": -1}, "within the video"),
        ({"time_s": "soon"}, "number"),
        ({"time_s": 5, "body": "x" * 5001}, "at most 5000"),
        ({"time_s": 5, "technique_id": "7"}, "technique"),
    ],
)
def test_refused_notes_say_why_and_keep_nothing(lesson, body, words):
    _, client = enrolled(lesson)
    response = post(client, f"/api/lessons/{lesson.pk}/notes", body)
    assert response.status_code == 400 and words in response.json()["detail"]
    assert not LessonNote.objects.exists()


def test_a_technique_of_another_lesson_is_refused(lesson):
    _, client = enrolled(lesson)
    other_lesson = lesson.course.lessons.get(number=4)
    elsewhere = Technique.objects.create(
        course=lesson.course, lesson=other_lesson, number=8, name="Sacrum"
    )
    response = post(
        client, f"/api/lessons/{lesson.pk}/notes", {"time_s": 5, "technique_id": elsewhere.pk}
    )
    assert response.status_code == 400 and not LessonNote.objects.exists()


def test_note_html_is_inert(lesson):
    user, client = enrolled(lesson)
    for payload in XSS_PAYLOADS:
        note_create(user=user, lesson=lesson, time_s=1, body=payload)
    page = client.get(f"/courses/{lesson.course.slug}/lessons/3/").content.decode()
    notes_html = page[page.index("data-note-list") : page.index("data-notes-empty")]
    assert html_problems(notes_html) == []


def test_my_notes_filter_and_export(lesson):
    user, client = enrolled(lesson, username="lena")
    technique = lesson.techniques.get()
    sacrum = lesson.course.lessons.get(number=4)
    note_create(
        user=user, lesson=lesson, time_s=65, body="Occiput **soft**", technique_id=technique.pk
    )
    note_create(user=user, lesson=sacrum, time_s=10, body="Sacrum rocking")
    slug = lesson.course.slug
    everything = client.get(f"/courses/{slug}/notes/").content.decode()
    assert "Occiput <strong>soft</strong>" in everything and "Sacrum rocking" in everything
    assert f"/courses/{slug}/lessons/3/?t=65" in everything
    only_lesson_4 = client.get(f"/courses/{slug}/notes/?lesson=4").content.decode()
    assert "Sacrum rocking" in only_lesson_4 and "Occiput" not in only_lesson_4
    only_cv4 = client.get(f"/courses/{slug}/notes/?technique=7").content.decode()
    assert "Occiput" in only_cv4 and "Sacrum rocking" not in only_cv4
    markdown = client.get(f"/courses/{slug}/notes.md?technique=7")
    assert markdown["Content-Type"].startswith("text/markdown")
    text = markdown.content.decode()
    assert "## Lesson 3: The cranial base" in text and "Occiput **soft**" in text
    assert "technique 7: CV-4" in text and "?t=65" in text and "Sacrum" not in text
    pdf = client.get(f"/courses/{slug}/notes.pdf")
    assert pdf["Content-Type"] == "application/pdf" and "attachment" in pdf["Content-Disposition"]
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Occiput **soft**" in pdf_text and "Sacrum rocking" in pdf_text and "1:05" in pdf_text
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(f"/courses/{slug}/notes/").status_code == 403
    assert stranger.get(f"/courses/{slug}/notes.md").status_code == 403


def test_a_lesson_with_200_notes_costs_the_queries_of_one_with_one(lesson):
    user, client = enrolled(lesson)
    url = f"/courses/{lesson.course.slug}/lessons/3/"
    note_create(user=user, lesson=lesson, time_s=1, body="one")
    client.get(url)  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    LessonNote.objects.bulk_create(
        LessonNote(user=user, lesson=lesson, time_s=n, body=f"n{n}", body_html=f"<p>n{n}</p>",
                   technique=lesson.techniques.get() if n % 2 else None)
        for n in range(2, 201)
    )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count("data-note-id=") == 200
    assert len(many) == len(one), [q["sql"][:80] for q in many.captured_queries]
