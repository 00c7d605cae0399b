"""What a lesson's video can do right now, and what the player needs to know about it.

Who may watch is decided by courses.access; the signed URLs come from
media_pipeline.delivery (see courses.learning.playback.services).
"""

from dataclasses import dataclass

from django.db.models import Prefetch

from courses.learning.playback.links import caption_url
from courses.models import Lesson, LessonCaption, Technique
from media_pipeline.models import VideoVersion

NO_VIDEO = "no_video"


class LessonNotPlayable(Exception):
    """The lesson has no video learners can play yet; `state` says why, `detail` in words."""

    def __init__(self, state: str, detail: str) -> None:
        super().__init__(detail)
        self.state, self.detail = state, detail


def lesson_for_playback_get(*, lesson_id: int) -> Lesson:
    """A lesson of a published course with what the API needs, in two queries."""
    return (
        Lesson.objects.filter(course__is_published=True)
        .select_related("course", "video__current_version")
        .prefetch_related(Prefetch("techniques", queryset=Technique.objects.order_by("number")))
        .get(pk=lesson_id)
    )


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


def lesson_captions(lesson: Lesson) -> list[dict]:
    return [
        {"language": c.language, "label": c.label, "url": caption_url(lesson, c.language)}
        for c in LessonCaption.objects.filter(lesson=lesson).only("language", "label", "lesson_id")
    ]


def lesson_chapters(lesson: Lesson) -> list[Technique]:
    """Techniques with both times, in order (uses the prefetched techniques if present)."""
    return [
        t
        for t in sorted(lesson.techniques.all(), key=lambda t: t.number)
        if t.start_s is not None and t.end_s is not None and t.start_s < t.end_s
    ]
