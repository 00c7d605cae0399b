"""Handing out a lesson's download: access, the daily limit, the count, a short-lived link."""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courses import access
from courses.learning.downloads.selectors import download_offer, downloads_allowed
from courses.models import Lesson, LessonDownload
from media_pipeline.storage import presigned_get_url


class DownloadRefused(Exception):
    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


def download_filename(lesson: Lesson) -> str:
    """ "05 - The Cranial Base, Occipital-Atlas Junction and CV-4.mp4": sorts in lesson order,
    with only what every file system accepts."""
    title = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", lesson.title)
    title = re.sub(r"\s+", " ", title).strip(" .")[:150]
    return f"{lesson.number:02d} - {title}.mp4"


def lesson_download_url(*, user, lesson: Lesson) -> str:
    """The presigned URL of the lesson's MP4, counted; DownloadRefused with why otherwise."""
    if not access.can_record(user=user, lesson=lesson) or not access.can_watch(
        user=user, lesson=lesson
    ):
        raise DownloadRefused("Enroll in the course to download its lessons.", status=403)
    if not downloads_allowed(lesson):
        raise DownloadRefused("This lesson cannot be downloaded.", status=403)
    offer = download_offer(lesson)
    if offer is None:
        raise DownloadRefused("The download is not ready yet: try again later.", status=404)
    limit = settings.DOWNLOADS_PER_DAY
    with transaction.atomic():
        # One learner's downloads are counted under a lock on their own rows' day: two
        # clicks at once cannot both pass the limit.
        since = timezone.now() - timedelta(days=1)
        made = LessonDownload.objects.select_for_update().filter(user=user, created_at__gte=since)
        if len(made) >= limit:
            raise DownloadRefused(
                f"You have downloaded {limit} lesson videos in the last 24 hours, the most "
                "allowed. Please try again tomorrow.",
                status=429,
            )
        LessonDownload.objects.create(user=user, lesson=lesson, rendition=offer.rendition)
    version = lesson.video.current_version
    return presigned_get_url(
        version.download_key,
        expires_s=settings.DOWNLOAD_URL_TTL_S,
        filename=download_filename(lesson),
    )
