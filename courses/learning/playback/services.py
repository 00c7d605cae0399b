"""Starting playback: a grant of freshly signed URLs for one viewer."""

from datetime import datetime

from django.http import HttpRequest

from courses.learning.playback.links import chapters_url
from courses.learning.playback.selectors import (
    LessonNotPlayable,
    lesson_captions,
    lesson_video_status,
)
from courses.learning.progress.selectors import progress_resume_at
from courses.models import Lesson
from media_pipeline.delivery.grants import PlaybackUnavailable, playback_grant, viewer_for_request


def lesson_playback(*, request: HttpRequest, lesson: Lesson) -> dict:
    """Everything the player needs to start, with freshly signed URLs.

    The caller has checked courses.access.lesson_access. Raises LessonNotPlayable when there is
    nothing to play (no video, still processing, or delivery refuses the version).
    """
    status = lesson_video_status(lesson)
    if not status.playable:
        raise LessonNotPlayable(status.state, status.message)
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
