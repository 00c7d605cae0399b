"""WebVTT tracks built per request: chapters from the lesson's techniques, and captions."""

from html import escape

from courses.learning.playback.selectors import lesson_chapters
from courses.models import Lesson, LessonCaption
from media_pipeline.formatting import vtt_timestamp

__all__ = ["chapters_vtt", "lesson_caption_vtt", "vtt_timestamp"]


def _cue_text(text: str) -> str:
    # Cue text is markup: escape &, < and > (so "-->" can never end up in a cue).
    return escape(" ".join(text.split()), quote=False)


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
