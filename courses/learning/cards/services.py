"""Technique cards: made on request and cached until the technique or the video changes;
their still frames are made by the pipeline when a version is ready or a technique's start
time changes."""

from __future__ import annotations

from django.core.cache import cache

from courses.learning.cards.pdf import technique_cards_pdf
from courses.learning.cards.selectors import card_fingerprint, technique_frame
from courses.models import Lesson, Technique
from media_pipeline.processing.enqueue import version_frames_enqueue

CARD_CACHE_S = 7 * 24 * 3600


def cards_pdf(*, lesson: Lesson, techniques: list[Technique]) -> bytes:
    key = f"cards:{card_fingerprint(techniques, lesson)}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    frames = {t.pk: frame for t in techniques if (frame := technique_frame(t))}
    pdf = technique_cards_pdf(lesson=lesson, techniques=techniques, frames=frames)
    missing = [t for t in techniques if t.start_s is not None and t.pk not in frames]
    if missing:
        technique_frames_request(lesson=lesson, techniques=missing)
    else:
        cache.set(key, pdf, CARD_CACHE_S)  # complete: kept until something printed changes
    return pdf


def technique_frames_request(*, lesson: Lesson, techniques: list[Technique]) -> None:
    """Ask the pipeline for the stills at the techniques' start times."""
    version_id = lesson.video.current_version_id if lesson.video else None
    times = [t.start_s for t in techniques if t.start_s is not None]
    if version_id and times:
        version_frames_enqueue(version_id=version_id, times=times)
