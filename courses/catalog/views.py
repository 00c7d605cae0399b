"""The public catalog, the course page with its syllabus, and the technique index."""

import re
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from courses import access
from courses.articles.selectors import course_articles
from courses.catalog.selectors import course_list, course_syllabus_get
from courses.enrollment.forms import EnrollForm
from courses.enrollment.selectors import user_enrolled_course_ids
from courses.learning.playback.links import time_param
from courses.learning.progress.selectors import (
    ProgressMark,
    course_progress_get,
    progress_marks,
)
from courses.models import Course, Lesson, Technique, lesson_duration_s
from courses.pagecache import anonymous_page_cache
from media_pipeline.formatting import duration_label


def text_paragraphs(text: str) -> list[str]:
    """Split course text into paragraphs on blank lines (how staff write it in the admin/YAML)."""
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


@dataclass
class SyllabusLesson:
    lesson: Lesson
    techniques: list[Technique]
    duration_s: float | None
    mark: ProgressMark | None = None  # only for learners with progress


def _syllabus(course: Course, marks: dict[int, ProgressMark] | None = None) -> list[SyllabusLesson]:
    # Works on the prefetched lessons/techniques: no queries per lesson.
    marks = marks or {}
    return [
        SyllabusLesson(
            lesson=lesson,
            techniques=list(lesson.techniques.all()),
            duration_s=lesson_duration_s(lesson),
            mark=marks.get(lesson.pk),
        )
        for lesson in course.lessons.all()
    ]


@anonymous_page_cache
def catalog(request: HttpRequest) -> HttpResponse:
    courses = list(course_list())
    enrolled_ids = user_enrolled_course_ids(user=request.user)
    return render(
        request,
        "courses/catalog.html",
        {"courses": courses, "enrolled_ids": enrolled_ids},
    )


def course_detail_render(
    request: HttpRequest,
    course: Course,
    form: EnrollForm | None = None,
    status: int = 200,
    extra: dict | None = None,
) -> HttpResponse:
    """The course page; `extra` carries a refused form's state (e.g. the code typed)."""
    is_enrolled = access.is_enrolled(user=request.user, course=course)
    records = access.can_record(user=request.user, course=course, enrolled=is_enrolled)
    marks = progress_marks(user=request.user, course=course) if records else None
    syllabus = _syllabus(course, marks)
    known = [row.duration_s for row in syllabus if row.duration_s is not None]
    context = {
        "course": course,
        "description_paragraphs": text_paragraphs(course.description),
        "who_it_helps_paragraphs": text_paragraphs(course.who_it_helps),
        "syllabus": syllabus,
        "technique_count": sum(len(row.techniques) for row in syllabus),
        "preview_lessons": [row.lesson for row in syllabus if row.lesson.is_preview],
        # Only claim a total once every lesson has a ready video.
        "total_duration": (
            duration_label(sum(known)) if syllabus and len(known) == len(syllabus) else ""
        ),
        "is_enrolled": is_enrolled,
        # The inline preview player sends heartbeats only for viewers who have progress.
        "records_progress": records,
        "form": form or EnrollForm(course=course),
        "articles": course_articles(course=course),
        **(extra or {}),
    }
    return render(request, "courses/course_detail.html", context, status=status)


@anonymous_page_cache
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        course = course_syllabus_get(slug=slug)
    except Course.DoesNotExist:
        raise Http404("No such course.") from None
    return course_detail_render(request, course)


@dataclass
class TechniqueEntry:
    technique: Technique
    url: str  # the lesson page, at the technique's start when it is known
    show_details: bool  # description and cautions only for lessons the viewer may watch
    # For learners with progress (None otherwise): watched (>= 90 % of its range) and practice.
    watched: bool | None = None
    practiced_count: int | None = None
    practice_url: str = ""


def technique_index(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        course = course_syllabus_get(slug=slug)
    except Course.DoesNotExist:
        raise Http404("No such course.") from None
    # Same rule as the lesson page, without a query per lesson.
    open_all = access.can_record(user=request.user, course=course)
    # The same answer as GET /api/me/courses/<slug>/progress (three queries, any course size),
    # so the page and the API can never disagree on what counts as watched.
    progress = {}
    if open_all:
        techniques = course_progress_get(user=request.user, course=course)["techniques"]
        progress = {t["number"]: t for t in techniques}
    groups = []
    for lesson in course.lessons.all():
        base = reverse("courses:lesson_detail", args=[course.slug, lesson.number])
        entries = [
            TechniqueEntry(
                technique=t,
                url=(
                    f"{base}?t={time_param(t.start_s)}"
                    if t.start_s is not None
                    else f"{base}#technique-{t.number}"
                ),
                show_details=open_all or lesson.is_preview,
                watched=progress[t.number]["watched"] if open_all else None,
                practiced_count=progress[t.number]["practiced_count"] if open_all else None,
                practice_url=(
                    reverse("api:technique_practice", kwargs={"technique_id": t.pk})
                    if open_all
                    else ""
                ),
            )
            for t in lesson.techniques.all()
        ]
        groups.append((lesson, entries))
    return render(
        request,
        "courses/technique_index.html",
        {
            "course": course,
            "groups": groups,
            "technique_count": sum(len(entries) for _, entries in groups),
            "records_progress": open_all,
        },
    )
