"""My notes across a course (filter by lesson and technique) and their exports."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from courses import access
from courses.learning.notes.export import notes_markdown, notes_pdf
from courses.learning.notes.selectors import course_notes
from courses.models import Course


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _course_and_notes(request: HttpRequest, slug: str):
    course = get_object_or_404(Course, slug=slug, is_published=True)
    if not access.can_record(user=request.user, course=course):
        return course, None, {}
    filters = {
        "lesson_number": _int(request.GET.get("lesson")),
        "technique_number": _int(request.GET.get("technique")),
    }
    return course, course_notes(user=request.user, course=course, **filters), filters


@login_required
@require_safe
def my_notes(request: HttpRequest, slug: str) -> HttpResponse:
    course, notes, filters = _course_and_notes(request, slug)
    if notes is None:
        context = {"course": course}
        return render(request, "notes/my_notes_locked.html", context, status=403)
    query = request.GET.urlencode()
    context = {
        "course": course,
        "notes": notes,
        "filters": filters,
        "lessons": course.lessons.order_by("number").only("number", "title"),
        "techniques": course.techniques.order_by("number").only("number", "name"),
        "export_query": f"?{query}" if query else "",
    }
    return render(request, "notes/my_notes.html", context)


def _attachment(body: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_safe
def my_notes_markdown(request: HttpRequest, slug: str) -> HttpResponse:
    course, notes, _ = _course_and_notes(request, slug)
    if notes is None:
        return HttpResponse("Enroll in the course to keep notes.", status=403)
    text = notes_markdown(course=course, notes=notes, site_url=settings.SITE_URL)
    return _attachment(text, "text/markdown; charset=utf-8", f"My notes - {course.slug}.md")


@login_required
@require_safe
def my_notes_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    course, notes, _ = _course_and_notes(request, slug)
    if notes is None:
        return HttpResponse("Enroll in the course to keep notes.", status=403)
    return _attachment(
        notes_pdf(course=course, notes=notes), "application/pdf", f"My notes - {course.slug}.pdf"
    )
