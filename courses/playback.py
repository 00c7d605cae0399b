"""Who may watch a lesson, what its video can do right now, and the files the player needs.

The signed URLs themselves come from media_pipeline.delivery; this module decides
access (the same rules for the page, the playback API, chapters and captions) and
turns a lesson's techniques and captions into WebVTT.
"""

from dataclasses import dataclass
from datetime import datetime
from html import escape

from django.db.models import Prefetch
from django.http import HttpRequest
from django.urls import reverse

from courses.models import Lesson, LessonCaption, Technique
from courses.progress_selectors import progress_resume_at
from courses.selectors import user_can_watch_lesson
from media_pipeline.models import VideoVersion

ALLOWED = "allowed"
LOGIN_REQUIRED = "login_required"
ENROLL_REQUIRED = "enroll_required"
NO_VIDEO = "no_video"


class LessonNotPlayable(Exception):
    """The lesson has no video learners can play yet; `state` says why, `detail` in words."""

    def __init__(self, state: str, detail: str) -> None:
        super().__init__(detail)
        self.state, self.detail = state, detail


def lesson_access(*, user, lesson: Lesson) -> str:
    """One of ALLOWED, LOGIN_REQUIRED (anonymous on a paid lesson) or ENROLL_REQUIRED."""
    if user_can_watch_lesson(user=user, lesson=lesson):
        return ALLOWED
    return ENROLL_REQUIRED if user.is_authenticated else LOGIN_REQUIRED


def lesson_for_playback_get(*, lesson_id: int) -> Lesson:
    """A lesson of a published course with what the API needs, in two queries."""
    return (
        Lesson.objects.filter(course__is_published=True)
        .select_related("course", "video__current_version")
        .prefetch_related(Prefetch("techniques", queryset=Technique.objects.order_by("number")))
        .get(pk=lesson_id)
    )


# --- video state ---------------------------------------------------------------------


@dataclass(frozen=True)
class VideoStatus:
    state: str  # a VideoVersion state, or "no_video"
    version: VideoVersion | None  # the version learners are served, when there is one
    progress_percent: float = 0

    @property
    def playable(self) -> bool:
        return self.version is not None

    @property
    def message(self) -> str:
        """What a learner reads instead of a broken player."""
        if self.playable:
            return ""
        if self.state in VideoVersion.PROCESSING_STATES:
            if self.state == VideoVersion.State.TRANSCODING:
                return (
                    "This lesson's video is being prepared "
                    f"(transcoding {self.progress_percent:.0f}%). Please check back soon."
                )
            return "This lesson's video is being prepared. Please check back soon."
        if self.state == VideoVersion.State.UPLOADING:
            return "This lesson's video is being uploaded. Please check back soon."
        if self.state == "no_video":
            # Theory lessons may never get one: the notes below are the lesson.
            return "This lesson has no video yet; its notes are below."
        # Failed/rejected uploads are the instructor's business (the studio says why).
        return "The video for this lesson is not available yet."


def lesson_video_status(lesson: Lesson) -> VideoStatus:
    """The served version (a Video only points at playable ones), or the newest upload's state.

    No query when the lesson has a playable video (select_related), one otherwise.
    """
    video = lesson.video
    if video is None:
        return VideoStatus(state=NO_VIDEO, version=None)
    current = video.current_version
    if current is not None:
        return VideoStatus(state=current.state, version=current, progress_percent=100)
    latest = (
        VideoVersion.objects.filter(video_id=video.pk)
        .only("state", "progress_percent")
        .order_by("-created_at")
        .first()
    )
    if latest is None:
        return VideoStatus(state=NO_VIDEO, version=None)
    return VideoStatus(state=latest.state, version=None, progress_percent=latest.progress_percent)


# --- URLs ----------------------------------------------------------------------------


def lesson_url(lesson: Lesson) -> str:
    return reverse("courses:lesson_detail", args=[lesson.course.slug, lesson.number])


def enroll_url(lesson: Lesson) -> str:
    return reverse("courses:course_detail", args=[lesson.course.slug]) + "#enroll-heading"


def login_url(lesson: Lesson) -> str:
    return f"{reverse('login')}?next={lesson_url(lesson)}"


def chapters_url(lesson: Lesson) -> str:
    return reverse("api:lesson_chapters", kwargs={"lesson_id": lesson.pk})


def caption_url(lesson: Lesson, language: str) -> str:
    return reverse("api:lesson_caption", kwargs={"lesson_id": lesson.pk, "language": language})


def playback_url(lesson: Lesson) -> str:
    return reverse("api:lesson_playback", kwargs={"lesson_id": lesson.pk})


def time_param(seconds: float) -> str:
    """`?t=` value for a start time: whole seconds stay whole (4, not 4.0)."""
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:.2f}".rstrip("0")


# --- playback ------------------------------------------------------------------------


def lesson_captions(lesson: Lesson) -> list[dict]:
    return [
        {"language": c.language, "label": c.label, "url": caption_url(lesson, c.language)}
        for c in LessonCaption.objects.filter(lesson=lesson).only("language", "label", "lesson_id")
    ]


def lesson_playback(*, request: HttpRequest, lesson: Lesson) -> dict:
    """Everything the player needs to start, with freshly signed URLs.

    The caller has checked lesson_access. Raises LessonNotPlayable when there is
    nothing to play (no video, still processing, or delivery refuses the version).
    """
    # Imported here: the delivery module is another engineer's and must not be
    # needed just to render pages or import this module.
    from media_pipeline.delivery import PlaybackUnavailable, playback_grant, viewer_for_request

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


# --- WebVTT --------------------------------------------------------------------------


def vtt_timestamp(seconds: float) -> str:
    """WebVTT cue time, always with hours: 00:01:05.250."""
    millis = int(round(max(seconds, 0) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _cue_text(text: str) -> str:
    # Cue text is markup: escape &, < and > (so "-->" can never end up in a cue).
    return escape(" ".join(text.split()), quote=False)


def lesson_chapters(lesson: Lesson) -> list[Technique]:
    """Techniques with both times, in order (uses the prefetched techniques if present)."""
    return [
        t
        for t in sorted(lesson.techniques.all(), key=lambda t: t.number)
        if t.start_s is not None and t.end_s is not None and t.start_s < t.end_s
    ]


def chapters_vtt(lesson: Lesson) -> str:
    """A chapters track from the techniques' times, read on each request so edits show at once."""
    lines = ["WEBVTT", ""]
    for technique in lesson_chapters(lesson):
        lines += [
            f"technique-{technique.number}",
            f"{vtt_timestamp(technique.start_s)} --> {vtt_timestamp(technique.end_s)}",
            _cue_text(f"Technique {technique.number}: {technique.name}"),
            "",
        ]
    return "\n".join(lines)


def lesson_caption_vtt(*, lesson: Lesson, language: str) -> str | None:
    return (
        LessonCaption.objects.filter(lesson=lesson, language__iexact=language)
        .values_list("vtt", flat=True)
        .first()
    )
