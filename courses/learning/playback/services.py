"""Starting playback: a grant of freshly signed URLs for one viewer."""

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest

from courses.client_ip import client_ip
from courses.learning.playback.links import chapters_url
from courses.learning.playback.selectors import (
    LessonNotPlayable,
    lesson_captions,
    lesson_video_status,
)
from courses.learning.progress.selectors import progress_resume_at
from courses.models import Lesson
from courses.ratelimit import rate_exceeded, rate_hit
from media_pipeline.delivery.grants import PlaybackUnavailable, playback_grant, viewer_for_request


class GrantsRateLimited(Exception):
    """Too many grants asked for in the window: a scraper, not a learner (429)."""


def _grant_rate_check(request: HttpRequest) -> None:
    # A player asks again when its URLs expire (every MEDIA_SIGNED_URL_TTL_S) and on
    # errors; far more than that per hour is someone minting URLs to copy lessons.
    user = request.user
    who = f"user:{user.pk}" if user.is_authenticated else f"ip:{client_ip(request)}"
    key = f"playback-grants:{who}"
    if rate_exceeded(key, limit=settings.PLAYBACK_GRANTS_PER_HOUR):
        raise GrantsRateLimited("Too many video requests in the last hour. Please wait a while.")
    rate_hit(key, window_s=3600)


def lesson_playback(*, request: HttpRequest, lesson: Lesson) -> dict:
    """Everything the player needs to start, with freshly signed URLs.

    The caller has checked courses.access.lesson_access. Raises LessonNotPlayable when there is
    nothing to play (no video, still processing, or delivery refuses the version).
    """
    status = lesson_video_status(lesson)
    if not status.playable:
        raise LessonNotPlayable(status.state, status.message)
    _grant_rate_check(request)
    version = status.version
    try:
        grant = playback_grant(version=version, viewer=viewer_for_request(request))
    except PlaybackUnavailable as error:
        raise LessonNotPlayable(
            error.state or version.state, "The video for this lesson is not available right now."
        ) from None
    expires_at: datetime = grant.expires_at
    return {
        "lesson_id": lesson.pk,
        "master_url": grant.master_url,
        "chapters_url": chapters_url(lesson),
        "thumbnails_url": grant.thumbnails_url,
        "poster_url": grant.poster_url,
        "captions": lesson_captions(lesson),
        "duration_s": version.duration_s,
        # None when the viewer has no progress here (anonymous, never played): start at 0.
        "resume_at_s": progress_resume_at(user=request.user, lesson=lesson),
        "expires_at": expires_at.isoformat(),
        "state": version.state,
    }
