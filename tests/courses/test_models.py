"""Technique.clean(): times must be ordered, paired, and inside the lesson's ready video."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from courses.models import Course, Lesson, Technique
from media_pipeline.models import VideoVersion
from tests.factories import VideoVersionFactory


@pytest.fixture
def lesson(db):
    course = Course.objects.create(slug="c", title="C")
    return Lesson.objects.create(course=course, number=1, title="One")


def technique(lesson, **times) -> Technique:
    return Technique(course=lesson.course, lesson=lesson, number=1, name="Hold", **times)


def errors(t: Technique) -> dict:
    with pytest.raises(ValidationError) as excinfo:
        t.full_clean()
    return excinfo.value.message_dict


def test_valid_times_without_a_video(lesson):
    technique(lesson, start_s=10, end_s=5000).full_clean()  # no video: no upper bound yet
    technique(lesson).full_clean()


@pytest.mark.parametrize(("start", "end"), [(30, 30), (40, 30)])
def test_end_must_follow_start(lesson, start, end):
    assert "after the start" in errors(technique(lesson, start_s=start, end_s=end))["end_s"][0]


def test_both_or_neither(lesson):
    assert "both" in errors(technique(lesson, start_s=10))["end_s"][0]


def test_times_within_the_ready_video(lesson, ready_video):
    lesson.video = ready_video(600)
    lesson.save(update_fields=["video"])
    technique(lesson, start_s=10, end_s=600.4).full_clean()  # rounding tolerance
    message = errors(technique(lesson, start_s=10, end_s=601))["end_s"][0]
    assert "past the end of the lesson video (600.0 s)" in message


def test_only_the_current_ready_version_counts(lesson, ready_video):
    video = ready_video(600)
    # A longer replacement still transcoding does not widen the allowed range.
    VideoVersionFactory(video=video, state=VideoVersion.State.TRANSCODING, duration_s=1200)
    lesson.video = video
    lesson.save(update_fields=["video"])
    assert "end_s" in errors(technique(lesson, start_s=10, end_s=900))


def test_lesson_of_another_course(lesson):
    other = Course.objects.create(slug="other", title="Other")
    t = Technique(course=other, lesson=lesson, number=1, name="Hold")
    assert "another course" in errors(t)["lesson"][0]


def test_database_refuses_start_after_end(lesson):
    with pytest.raises(IntegrityError), transaction.atomic():
        technique(lesson, start_s=50, end_s=10).save()
