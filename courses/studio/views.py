"""The instructor studio page: upload lesson videos and follow their processing."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from courses import access
from courses.learning.playback.links import playback_url
from courses.learning.playback.selectors import lesson_video_status
from courses.models import Course, Lesson, lesson_duration_s
from courses.studio.captions import CaptionFileError
from courses.studio.selectors import lesson_row, studio_lessons
from courses.studio.services import lesson_caption_upload
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


@access.page_requires(access.can_manage_lessons, denied="Only staff can use the studio.")
@require_http_methods(["GET", "POST"])
def lesson_editor(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """The chapter editor (technique times, set while watching; saved through the API) and
    the lesson's captions (uploaded here as WebVTT or SRT)."""
    lesson = get_object_or_404(
        Lesson.objects.select_related("course", "video__current_version"), pk=lesson_id
    )
    caption_error = ""
    typed = {"language": "", "label": ""}
    if request.method == "POST":
        typed = {k: request.POST.get(k, "").strip() for k in typed}
        upload = request.FILES.get("file")
        if upload is None:
            caption_error = "Choose a .vtt or .srt file."
        else:
            try:
                lesson_caption_upload(
                    lesson=lesson, language=typed["language"], label=typed["label"],
                    filename=upload.name, raw=upload.read(),
                )  # fmt: skip
            except (CaptionFileError, ValidationError) as refused:
                caption_error = _message(refused)
            else:
                messages.success(
                    request, f"Captions saved: {typed['label']} ({typed['language']})."
                )
                return redirect("studio:lesson_editor", lesson_id=lesson.pk)
    status = lesson_video_status(lesson)
    techniques = list(lesson.techniques.order_by("number"))
    context = {
        "lesson": lesson,
        "course": lesson.course,
        "techniques": techniques,
        "captions": list(lesson.captions.all()),
        "playback_url": playback_url(lesson) if status.playable else "",
        "video_status": status,
        "duration_s": lesson_duration_s(lesson),
        "caption_error": caption_error,
        "typed": typed,
        "editor_config": {
            "saveUrl": reverse("api:lesson_technique_times_post", kwargs={"lesson_id": lesson.pk}),
            "techniques": [
                {
                    "id": t.pk,
                    "number": t.number,
                    "name": t.name,
                    "start_s": t.start_s,
                    "end_s": t.end_s,
                }
                for t in techniques
            ],  # fmt: skip
        },
    }
    return render(
        request, "studio/lesson_editor.html", context, status=400 if caption_error else 200
    )


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError) and hasattr(error, "message_dict"):
        return " ".join(m for messages in error.message_dict.values() for m in messages)
    return " ".join(getattr(error, "messages", [str(error)]))
