"""The instructor's side of lesson videos: start (or resume) an upload for a lesson.

A lesson points at one Video; each upload is a new version of it, which
media_pipeline switches to once it can be played, so courses never has to
know about processing states beyond reading them.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from courses.models import Lesson, LessonCaption, Technique
from courses.studio.captions import caption_file_to_vtt
from media_pipeline.models import Video, VideoVersion
from media_pipeline.uploads.services import (
    video_create,
    video_upload_resumable_get,
    video_upload_start,
)


def lesson_video_ensure(*, lesson: Lesson) -> Video:
    with transaction.atomic():
        lesson = Lesson.objects.select_for_update().select_related("course").get(pk=lesson.pk)
        if lesson.video_id is None:
            lesson.video = video_create(title=f"{lesson.course.title} — Lesson {lesson.number}")
            lesson.save(update_fields=["video"])
        return lesson.video


def lesson_upload_start(
    *, lesson: Lesson, filename: str, size: int, uploaded_by, fingerprint: str = ""
) -> tuple[VideoVersion, bool]:
    """A new upload for the lesson, or the unfinished one of the same file; (version, resumed)."""
    video = lesson_video_ensure(lesson=lesson)
    existing = video_upload_resumable_get(video=video, fingerprint=fingerprint, size=size)
    if existing is not None:
        return existing, True
    version = video_upload_start(
        video=video, filename=filename, size=size, uploaded_by=uploaded_by, fingerprint=fingerprint
    )
    return version, False


def lesson_preview_set(*, lesson: Lesson, is_preview: bool) -> None:
    if lesson.is_preview != is_preview:
        lesson.is_preview = is_preview
        lesson.save(update_fields=["is_preview"])


class ChapterTimesError(Exception):
    """Per technique id, what is wrong with its times (nothing was saved)."""

    def __init__(self, errors: dict[int, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def lesson_technique_times_save(*, lesson: Lesson, times: list[dict]) -> list[Technique]:
    """Set start and end times of the lesson's techniques, all or none: each is checked by
    the model's own rules (start before end, within the video), errors per technique."""
    by_id = {t.pk: t for t in lesson.techniques.select_related("lesson__video__current_version")}
    errors: dict[int, str] = {}
    changed = []
    for row in times:
        technique = by_id.get(row.get("id")) if isinstance(row, dict) else None
        if technique is None:
            raise ChapterTimesError({0: "Every technique must be one of this lesson's."})
        start, end = row.get("start_s"), row.get("end_s")
        for value in (start, end):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                errors[technique.pk] = "Times are numbers of seconds."
        if technique.pk in errors:
            continue
        technique.start_s = None if start is None else round(float(start), 3)
        technique.end_s = None if end is None else round(float(end), 3)
        try:
            technique.full_clean()
        except ValidationError as invalid:
            errors[technique.pk] = " ".join(
                message for messages in invalid.message_dict.values() for message in messages
            )
            continue
        changed.append(technique)
    if errors:
        raise ChapterTimesError(errors)
    with transaction.atomic():
        for technique in changed:
            technique.save(update_fields=["start_s", "end_s"])
    return changed


def lesson_caption_upload(*, lesson: Lesson, language: str, label: str, filename: str, raw: bytes):
    """Add or replace the lesson's captions in ``language`` from a .vtt or .srt file."""
    vtt = caption_file_to_vtt(filename=filename, raw=raw)
    caption = LessonCaption.objects.filter(
        lesson=lesson, language=language
    ).first() or LessonCaption(lesson=lesson, language=language)
    caption.label, caption.vtt = label.strip(), vtt
    caption.full_clean(validate_unique=False)
    caption.save()
    return caption
