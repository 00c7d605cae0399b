"""The lesson's download link: a redirect to a short-lived presigned URL, or why not."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from courses.catalog.selectors import lesson_get
from courses.learning.downloads.services import DownloadRefused, lesson_download_url
from courses.models import Lesson


@login_required
@require_safe
def lesson_download(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    try:
        lesson = lesson_get(course_slug=slug, number=number)
    except Lesson.DoesNotExist:
        raise Http404("No such lesson.") from None
    try:
        url = lesson_download_url(user=request.user, lesson=lesson)
    except DownloadRefused as refused:
        context = {"lesson": lesson, "course": lesson.course, "problem": str(refused)}
        return render(request, "downloads/refused.html", context, status=refused.status)
    response = redirect(url)
    response["Cache-Control"] = "no-store"
    return response
