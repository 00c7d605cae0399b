"""The URLs a lesson's player and pages link to."""

from django.urls import reverse

from courses.models import Lesson


def lesson_url(lesson: Lesson) -> str:
    return reverse("courses:lesson_detail", args=[lesson.course.slug, lesson.number])


def enroll_url(lesson: Lesson) -> str:
    return reverse("courses:course_detail", args=[lesson.course.slug]) + "#enroll-heading"


def login_url(lesson: Lesson) -> str:
    return f"{reverse('login')}?next={lesson_url(lesson)}"


def chapters_url(lesson: Lesson) -> str:
    return reverse("api:lesson_chapters", kwargs={"lesson_id": lesson.pk})


def caption_url(lesson: Lesson, language: str) -> str:
    return reverse("api:lesson_caption", kwargs={"lesson_id": lesson.pk, "language": language})


def playback_url(lesson: Lesson) -> str:
    return reverse("api:lesson_playback", kwargs={"lesson_id": lesson.pk})


def time_param(seconds: float) -> str:
    """`?t=` value for a start time: whole seconds stay whole (4, not 4.0)."""
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:.2f}".rstrip("0")
