"""Stills for technique cards, asked for when they can be made: a version became ready, or a
technique's start time was set or moved."""

from __future__ import annotations

import logging

from django.db.models.signals import post_save

from courses.learning.cards.services import technique_frames_request
from courses.models import Lesson, Technique
from media_pipeline.events import version_ready

logger = logging.getLogger(__name__)


def _on_version_ready(sender, version, **kwargs) -> None:
    lesson = Lesson.objects.select_related("video").filter(video_id=version.video_id).first()
    if lesson is not None:
        technique_frames_request(lesson=lesson, techniques=list(lesson.techniques.all()))


def _on_technique_saved(sender, instance: Technique, **kwargs) -> None:
    if instance.start_s is None:
        return
    lesson = Lesson.objects.select_related("video").filter(pk=instance.lesson_id).first()
    if lesson is not None:
        technique_frames_request(lesson=lesson, techniques=[instance])


def receivers_connect() -> None:
    version_ready.connect(_on_version_ready, dispatch_uid="cards-version-ready")
    post_save.connect(_on_technique_saved, sender=Technique, dispatch_uid="cards-technique")
