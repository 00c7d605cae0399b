"""Public catalog and course pages, enrollment, the learner dashboard and sign-up.

Views stay thin: reads go through courses.selectors, writes through courses.services.
"""

import re
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from courses.forms import EnrollForm, SignupForm
from courses.models import Course, Lesson, Technique
from courses.playback import lesson_chapters, lesson_video_status, playback_url, time_param
from courses.progress_selectors import course_progress_get, course_progress_marks
from courses.selectors import (
    course_get,
    course_list,
    course_syllabus_get,
    lesson_duration_s,
    lesson_get,
    lesson_neighbours,
    user_can_watch_lesson,
    user_courses,
    user_enrolled_course_ids,
    user_is_enrolled,
)
from courses.services import EnrollmentError, enrollment_create
from media_pipeline.selectors import duration_label


def text_paragraphs(text: str) -> list[str]:
    """Split course text into paragraphs on blank lines (how staff write it in the admin/YAML)."""
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def duration_format(seconds: float | None) -> str:
    """12:05 or 1:02:05; empty until a video is ready."""
    return "" if seconds is None else duration_label(seconds)


@dataclass(frozen=True)
class ProgressMark:
    """A learner's progress on one lesson, as the course and lesson pages show it."""

    completed: bool
    watched_percent: float | None

    @property
    def started(self) -> bool:
        return self.completed or bool(self.watched_percent)

    @property
    def percent(self) -> int:
        """Whole percent, rounded down: 99.6 % is not "100 % watched" when it is not complete."""
        return int(self.watched_percent or 0)

    @property
    def label(self) -> str:
        if self.completed:
            return "Completed"
        if self.percent:
            return f"{self.percent} % watched"
        # A few seconds of a long lesson: say it was started rather than "0 % watched".
        return "Started" if self.started else ""


def progress_marks(*, user, course: Course) -> dict[int, ProgressMark]:
    """{lesson_id: ProgressMark} for a learner who records progress (one query)."""
    return {
        lesson_id: ProgressMark(**mark)
        for lesson_id, mark in course_progress_marks(user=user, course=course).items()
    }


def viewer_records_progress(request: HttpRequest, course: Course, *, enrolled=None) -> bool:
    """Enrolled learners and staff have progress (progress_can_record's rule, for pages).

    `enrolled` lets a view pass what it already knows instead of asking again.
    """
    user = request.user
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return user_is_enrolled(user=user, course=course) if enrolled is None else enrolled


@dataclass
class SyllabusLesson:
    lesson: Lesson
    techniques: list[Technique]
    duration_s: float | None
    mark: ProgressMark | None = None  # only for learners with progress

    @property
    def duration(self) -> str:
        return duration_format(self.duration_s)


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


def catalog(request: HttpRequest) -> HttpResponse:
    courses = list(course_list())
    enrolled_ids = user_enrolled_course_ids(user=request.user)
    return render(
        request,
        "courses/catalog.html",
        {"courses": courses, "enrolled_ids": enrolled_ids},
    )


def _course_detail_render(
    request: HttpRequest, course: Course, form: EnrollForm | None = None, status: int = 200
) -> HttpResponse:
    is_enrolled = user_is_enrolled(user=request.user, course=course)
    records = viewer_records_progress(request, course, enrolled=is_enrolled)
    marks = progress_marks(user=request.user, course=course) if records else None
    syllabus = _syllabus(course, marks)
    known = [row.duration_s for row in syllabus if row.duration_s is not None]
    context = {
        "course": course,
        "description_paragraphs": text_paragraphs(course.description),
        "who_it_helps_paragraphs": text_paragraphs(course.who_it_helps),
        "syllabus": syllabus,
        "technique_count": sum(len(row.techniques) for row in syllabus),
        # Only claim a total once every lesson has a ready video.
        "total_duration": (
            duration_format(sum(known)) if syllabus and len(known) == len(syllabus) else ""
        ),
        "is_enrolled": is_enrolled,
        # The inline preview player sends heartbeats only for viewers who have progress.
        "records_progress": records,
        "form": form or EnrollForm(course=course),
    }
    return render(request, "courses/course_detail.html", context, status=status)


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        course = course_syllabus_get(slug=slug)
    except Course.DoesNotExist:
        raise Http404("No such course.") from None
    return _course_detail_render(request, course)


@require_http_methods(["GET", "POST"])
def enroll(request: HttpRequest, slug: str) -> HttpResponse:
    course_url = reverse("courses:course_detail", args=[slug])
    if not request.user.is_authenticated:
        # Back to the course page after logging in: the enroll URL itself only takes POSTs.
        return redirect_to_login(course_url)
    if request.method != "POST":
        return redirect(course_url)
    try:
        course = course_get(slug=slug)
    except Course.DoesNotExist:
        raise Http404("No such course.") from None

    form = EnrollForm(request.POST, course=course)
    if form.is_valid():
        try:
            _, created = enrollment_create(
                user=request.user, course=course, access_code=form.cleaned_data.get("access_code")
            )
        except EnrollmentError as error:
            form.add_error("access_code" if "access_code" in form.fields else None, str(error))
        else:
            if created:
                messages.success(request, f"You're enrolled in {course.title}. Enjoy the course!")
            else:
                messages.info(request, f"You were already enrolled in {course.title}.")
            return redirect("courses:dashboard")
    return _course_detail_render(request, course_syllabus_get(slug=slug), form=form, status=400)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    # Imported here so that this view's progress stays one self-contained change.
    from courses.progress_selectors import dashboard_progress

    courses = list(user_courses(user=request.user))
    context = {"courses": courses, **dashboard_progress(user=request.user, courses=courses)}
    return render(request, "courses/dashboard.html", context)


def _chapter_rows(lesson: Lesson) -> list[dict]:
    """The techniques with times, as the player's chapter list shows them."""
    return [
        {
            "technique": t,
            "start": time_param(t.start_s),
            "end": time_param(t.end_s),
            "label": duration_format(t.start_s),
        }
        for t in lesson_chapters(lesson)
    ]


def lesson_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    try:
        lesson = lesson_get(course_slug=slug, number=number)
    except Lesson.DoesNotExist:
        raise Http404("No such lesson.") from None
    can_watch = user_can_watch_lesson(user=request.user, lesson=lesson)
    # Watching a paid lesson already took an enrollment (or staff); a preview did not.
    records = can_watch and viewer_records_progress(
        request, lesson.course, enrolled=None if lesson.is_preview else True
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
        "duration": duration_format(duration_s),
        "previous_lesson": previous_lesson,
        "next_lesson": next_lesson,
        # Only pages that can record get the URLs: the player never even starts tracking
        # for anonymous or non-enrolled viewers (the API would refuse them anyway).
        "progress_url": (
            reverse("api:lesson_progress_beat", kwargs={"lesson_id": lesson.pk})
            if records and status and status.playable
            else ""
        ),
        "complete_url": (
            reverse("api:lesson_complete_mark", kwargs={"lesson_id": lesson.pk})
            if records and lesson.video_id is None
            else ""
        ),
        "mark": marks.get(lesson.pk),
        "previous_mark": marks.get(previous_lesson.pk) if previous_lesson else None,
        "next_mark": marks.get(next_lesson.pk) if next_lesson else None,
    }
    # Locked lessons still render a page (what it covers, how to get access) but say 403.
    return render(request, "courses/lesson_detail.html", context, status=200 if can_watch else 403)


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
    open_all = viewer_records_progress(request, course)
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


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or "courses:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.get_username()}! Your account is ready.")
        return redirect(_safe_next(request) or "courses:dashboard")
    return render(
        request, "registration/signup.html", {"form": form, "next": _safe_next(request) or ""}
    )
