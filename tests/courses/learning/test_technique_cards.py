"""Technique cards: a printable PDF per technique and per lesson, with its cautions and a
still the pipeline takes from the lesson video at the technique's start."""

import io

import pytest
from django.core.cache import cache
from django.test import Client
from pypdf import PdfReader

from courses.learning.cards.selectors import card_fingerprint
from courses.models import Enrollment, Technique
from media_pipeline.processing.frames import frame_key, version_frame_extract
from media_pipeline.processing.pipeline import version_process
from media_pipeline.storage import object_exists
from tests.factories import CourseFactory, LessonFactory, UserFactory
from tests.media_pipeline.conftest import make_clip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def hls_clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("cards") / "clip.mp4", size="854x480", duration=6)


@pytest.fixture
def lesson(upload_file, hls_clip, seaweedfs):
    version = upload_file(hls_clip)
    course = CourseFactory(title="Cranial course")
    lesson = LessonFactory(course=course, number=5, title="The cranial base", video=version.video)
    Technique.objects.create(
        course=course, lesson=lesson, number=7, name="CV-4 (compression of the fourth ventricle)",
        description="Cup the occiput in both palms, thumbs together.",
        cautions="Not after a recent head injury, stroke or with raised intracranial pressure.",
        start_s=2.5, end_s=5,
    )  # fmt: skip
    Technique.objects.create(course=course, lesson=lesson, number=8, name="Sphenoid lift")
    assert version_process(version_id=version.pk) == "ready"
    lesson.video.refresh_from_db()
    return lesson


def enrolled_client(lesson):
    user = UserFactory()
    Enrollment.objects.create(user=user, course=lesson.course)
    client = Client()
    client.force_login(user)
    return client


def pdf_text(body: bytes) -> str:
    """The words of the PDF, with the line breaks of its layout as spaces."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return " ".join(text.split())


def test_the_pipeline_takes_the_still_at_the_techniques_start(lesson):
    version = lesson.video.current_version
    key = version_frame_extract(version_id=version.pk, t=2.5)
    assert key == frame_key(version, 2.5) and object_exists(key)
    assert version_frame_extract(version_id=version.pk, t=2.5) == key  # made once
    assert version_frame_extract(version_id=version.pk, t=9999) is None  # beyond the video


def test_a_card_prints_name_cautions_placement_and_the_still(lesson):
    client = enrolled_client(lesson)
    cache.clear()
    version = lesson.video.current_version
    version_frame_extract(version_id=version.pk, t=2.5)
    response = client.get(f"/courses/{lesson.course.slug}/techniques/7/card.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = pdf_text(response.content)
    for expected in ("CV-4 (compression of the fourth ventricle)", "Lesson 5: The cranial base",
                     "Cautions and contraindications", "raised intracranial pressure",
                     "Cup the occiput"):  # fmt: skip
        assert expected in text, expected
    assert len(reader.pages[0].images) == 1  # the still from the video
    # Complete (with its still), the card is kept until something printed changes.
    techniques = list(lesson.techniques.filter(number=7))
    before = card_fingerprint(techniques, lesson)
    assert cache.get(f"cards:{before}") == response.content
    technique = techniques[0]
    technique.cautions = "Changed"
    technique.save()
    assert card_fingerprint([technique], lesson) != before
    assert "Changed" in pdf_text(
        client.get(f"/courses/{lesson.course.slug}/techniques/7/card.pdf").content
    )


def test_the_lesson_card_has_a_page_per_technique_and_is_for_enrolled_learners(lesson):
    client = enrolled_client(lesson)
    url = f"/courses/{lesson.course.slug}/lessons/5/cards.pdf"
    response = client.get(url)
    assert response.status_code == 200
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 2
    assert "Sphenoid lift" in pdf_text(response.content)
    page = client.get(f"/courses/{lesson.course.slug}/lessons/5/").content.decode()
    assert url in page and f"/courses/{lesson.course.slug}/techniques/7/card.pdf" in page
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 404
