"""The instructor studio: lesson videos, their processing state, uploads."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from courses.models import Course
from courses.studio import studio_lessons
from courses.studio_api import lesson_row
from media_pipeline.selectors import duration_label
from media_pipeline.uploads import human_bytes


def staff_required(view: Callable) -> Callable:
    """Anonymous visitors go to the site's login page; logged-in non-staff get 403.

    (admin's staff_member_required would send them to the admin login instead.)
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied("Only staff can use the studio.")
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def studio(request: HttpRequest) -> HttpResponse:
    courses = list(Course.objects.order_by("title"))
    slug = request.GET.get("course")
    course = next((c for c in courses if c.slug == slug), None) or (courses[0] if courses else None)
    lessons = studio_lessons(course=course) if course else []
    rows = [lesson_row(lesson) for lesson in lessons]
    for row in rows:
        current = row["current"]
        row["current_duration"] = duration_label(current["duration_s"]) if current else ""
    return render(
        request,
        "courses/studio.html",
        {
            "courses": courses,
            "course": course,
            "rows": rows,
            "max_upload": human_bytes(settings.MEDIA_UPLOAD_MAX_BYTES),
            "studio_config": {
                "course": course.slug if course else None,
                "maxBytes": settings.MEDIA_UPLOAD_MAX_BYTES,
                "lessons": rows,
            },
        },
    )
