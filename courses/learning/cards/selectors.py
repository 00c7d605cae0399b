"""What a technique card prints, and its still frame."""

from __future__ import annotations

import hashlib

from courses.models import Lesson, Technique
from media_pipeline.processing.frames import frame_key
from media_pipeline.storage import object_get_bytes


def card_fingerprint(techniques: list[Technique], lesson: Lesson) -> str:
    """Changes when anything printed changes: a technique's text or times, or the video."""
    version_id = lesson.video.current_version_id if lesson.video else None
    parts = [str(version_id), lesson.title, str(lesson.number)] + [
        f"{t.pk}|{t.number}|{t.name}|{t.description}|{t.cautions}|{t.start_s}" for t in techniques
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def technique_frame(technique: Technique) -> bytes | None:
    """The still at the technique's start, if the pipeline has made it."""
    lesson = technique.lesson
    version = lesson.video.current_version if lesson.video else None
    if version is None or technique.start_s is None or not version.output_prefix:
        return None
    return object_get_bytes(frame_key(version, technique.start_s))
