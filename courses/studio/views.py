"""The instructor studio page: upload lesson videos and follow their processing."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from courses import access
from courses.models import Course
from courses.studio.selectors import lesson_row, studio_lessons
from media_pipeline.formatting import size_label


@access.page_requires(access.can_manage_lessons, denied="Only staff can use the studio.")
def studio(request: HttpRequest) -> HttpResponse:
    courses = list(Course.objects.order_by("title"))
    slug = request.GET.get("course")
    course = next((c for c in courses if c.slug == slug), None) or (courses[0] if courses else None)
    lessons = studio_lessons(course=course) if course else []
    rows = [lesson_row(lesson) for lesson in lessons]
    return render(
        request,
        "courses/studio.html",
        {
            "courses": courses,
            "course": course,
            "rows": rows,
            "max_upload": size_label(settings.MEDIA_UPLOAD_MAX_BYTES),
            "studio_config": {
                "course": course.slug if course else None,
                "maxBytes": settings.MEDIA_UPLOAD_MAX_BYTES,
                "lessons": rows,
            },
        },
    )
