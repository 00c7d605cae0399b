"""The lesson page: the player (or what the lesson covers and how to get access)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from courses import access
from courses.catalog.selectors import lesson_get, lesson_neighbours
from courses.community.forms import QuestionForm, ReplyForm
from courses.community.selectors import lesson_questions
from courses.learning.downloads.selectors import download_offer
from courses.learning.notes.selectors import lesson_notes
from courses.learning.playback.links import playback_url, time_param
from courses.learning.playback.selectors import lesson_chapters, lesson_video_status
from courses.learning.progress.selectors import progress_marks
from courses.models import Lesson, lesson_duration_s
from courses.pagecache import anonymous_page_cache
from media_pipeline.formatting import duration_label


def _chapter_rows(lesson: Lesson) -> list[dict]:
    """The techniques with times, as the player's chapter list shows them."""
    return [
        {
            "technique": t,
            "start": time_param(t.start_s),
            "end": time_param(t.end_s),
            "label": duration_label(t.start_s),
        }
        for t in lesson_chapters(lesson)
    ]


@anonymous_page_cache
def lesson_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    return lesson_detail_render(request, slug=slug, number=number)


def lesson_detail_render(
    request: HttpRequest, *, slug: str, number: int, question_form: QuestionForm | None = None,
    question_error: str = "", reply_for: int | None = None, reply_form: ReplyForm | None = None,
    reply_error: str = "", http_status: int | None = None,
) -> HttpResponse:  # fmt: skip
    """The lesson page; a refused question or reply comes back with its text and why."""
    try:
        lesson = lesson_get(course_slug=slug, number=number)
    except Lesson.DoesNotExist:
        raise Http404("No such lesson.") from None
    can_watch = access.can_watch(user=request.user, lesson=lesson)
    # Watching a paid lesson already took an enrollment (or staff); a preview did not.
    records = can_watch and access.can_record(
        user=request.user, lesson=lesson, enrolled=None if lesson.is_preview else True
    )
    previous_lesson, next_lesson = lesson_neighbours(lesson=lesson)
    duration_s = lesson_duration_s(lesson)
    # Locked lessons never look at the video: nothing about it is shown to them.
    status = lesson_video_status(lesson) if can_watch else None
    marks = progress_marks(user=request.user, course=lesson.course) if records else {}
    context = {
        "course": lesson.course,
        "lesson": lesson,
        "techniques": list(lesson.techniques.all()),
        "chapters": _chapter_rows(lesson) if can_watch else [],
        "can_watch": can_watch,
        "video_ready": duration_s is not None,
        "video_status": status,
        # The page carries no media URLs: the player asks the API for signed ones.
        "playback_url": playback_url(lesson) if status and status.playable else "",
        "duration_s": duration_s,
        "previous_lesson": previous_lesson,
        "next_lesson": next_lesson,
        # Only pages that can record get the URLs: the player never even starts tracking
        # for anonymous or non-enrolled viewers (the API would refuse them anyway).
        "progress_url": (
            reverse("api:lesson_progress_beat", kwargs={"lesson_id": lesson.pk})
            if records and status and status.playable
            else ""
        ),
        # Notes at moments of the video: for whoever records progress here.
        "notes_url": (
            reverse("api:lesson_note_create", kwargs={"lesson_id": lesson.pk})
            if records and status and status.playable
            else ""
        ),
        "notes": (
            lesson_notes(user=request.user, lesson=lesson)
            if records and status and status.playable
            else []
        ),
        # The offline copy, where the course (or this lesson) allows it.
        "download": download_offer(lesson) if records and status and status.playable else None,
        "complete_url": (
            reverse("api:lesson_complete_mark", kwargs={"lesson_id": lesson.pk})
            if records and lesson.video_id is None
            else ""
        ),
        "mark": marks.get(lesson.pk),
        "previous_mark": marks.get(previous_lesson.pk) if previous_lesson else None,
        "next_mark": marks.get(next_lesson.pk) if next_lesson else None,
        **_questions_context(
            request,
            lesson,
            can_watch,
            question_form,
            question_error,
            reply_for,
            reply_form,
            reply_error,
        ),
    }
    # Locked lessons still render a page (what it covers, how to get access) but say 403.
    if http_status is None:
        http_status = 200 if can_watch else 403
    return render(request, "courses/lesson_detail.html", context, status=http_status)


def _questions_context(
    request, lesson, can_watch, question_form, question_error, reply_for, reply_form, reply_error
) -> dict:
    """Questions are as open as the lesson (a paid lesson's: enrolled learners and staff)."""
    if not can_watch:
        return {"questions": None}
    can_ask = access.can_ask(user=request.user, lesson=lesson)
    return {
        "questions": lesson_questions(lesson=lesson, user=request.user),
        "can_ask": can_ask,
        "question_form": question_form or (QuestionForm() if can_ask else None),
        "question_error": question_error,
        "reply_for": reply_for,
        "reply_form": reply_form,
        "reply_error": reply_error,
        "new_reply_form": ReplyForm() if can_ask else None,
    }
