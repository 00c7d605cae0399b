"""Technique cards as PDFs, for whoever may watch the lesson (enrolled learners, staff)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from courses import access
from courses.catalog.selectors import lesson_get
from courses.learning.cards.services import cards_pdf
from courses.models import Lesson, Technique


def _pdf(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _allowed_lesson(request: HttpRequest, slug: str, number: int) -> Lesson:
    try:
        lesson = lesson_get(course_slug=slug, number=number)
    except Lesson.DoesNotExist:
        raise Http404("No such lesson.") from None
    if not access.can_record(user=request.user, lesson=lesson):
        raise Http404("Technique cards are for enrolled learners.")
    return lesson


@require_safe
def lesson_cards(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    lesson = _allowed_lesson(request, slug, number)
    techniques = list(lesson.techniques.all())
    if not techniques:
        raise Http404("This lesson has no techniques.")
    body = cards_pdf(lesson=lesson, techniques=techniques)
    return _pdf(body, f"Lesson {lesson.number:02d} - technique cards.pdf")


@require_safe
def technique_card(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    technique = get_object_or_404(
        Technique.objects.select_related("lesson"), course__slug=slug, number=number
    )
    lesson = _allowed_lesson(request, slug, technique.lesson.number)
    body = cards_pdf(lesson=lesson, techniques=[technique])
    return _pdf(body, f"Technique {technique.number:02d} - card.pdf")
