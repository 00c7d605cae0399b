"""Writing notes: the text is kept as typed and rendered once (the sanitized Markdown subset
of comments); the time must lie within the video; a technique must be the lesson's own."""

from __future__ import annotations

from courses.markup import markdown_html
from courses.models import NOTE_MAX_CHARS, Lesson, LessonNote, Technique, lesson_duration_s


class NoteError(Exception):
    """Why a note was refused (shown to the learner as it is)."""


def _technique(lesson: Lesson, technique_id: int | None) -> Technique | None:
    if technique_id is None:
        return None
    technique = Technique.objects.filter(pk=technique_id, lesson=lesson).first()
    if technique is None:
        raise NoteError("That technique is not in this lesson.")
    return technique


def _checked(lesson: Lesson, *, time_s: float, body: str) -> tuple[float, str]:
    if not isinstance(time_s, int | float) or isinstance(time_s, bool) or time_s != time_s:
        raise NoteError("time_s must be a number of seconds.")
    duration = lesson_duration_s(lesson)
    if time_s < 0 or (duration is not None and time_s > duration + 1):
        raise NoteError("The note's time must lie within the video.")
    body = body.strip()
    if len(body) > NOTE_MAX_CHARS:
        raise NoteError(f"A note can be at most {NOTE_MAX_CHARS} characters.")
    return round(float(time_s), 3), body


def note_create(
    *, user, lesson: Lesson, time_s: float, body: str = "", technique_id: int | None = None
) -> LessonNote:
    time_s, body = _checked(lesson, time_s=time_s, body=body)
    return LessonNote.objects.create(
        user=user,
        lesson=lesson,
        time_s=time_s,
        body=body,
        body_html=markdown_html(body) if body else "",
        technique=_technique(lesson, technique_id),
    )


def note_update(
    *, note: LessonNote, body: str | None = None, time_s: float | None = None,
    technique_id: int | None | object = ...,
) -> LessonNote:  # fmt: skip
    """Change what is given; ``technique_id=None`` detaches the technique."""
    new_time, new_body = _checked(
        note.lesson,
        time_s=note.time_s if time_s is None else time_s,
        body=note.body if body is None else body,
    )
    fields = ["time_s", "body", "body_html", "updated_at"]
    note.time_s, note.body = new_time, new_body
    note.body_html = markdown_html(new_body) if new_body else ""
    if technique_id is not ...:
        note.technique = _technique(note.lesson, technique_id)
        fields.append("technique")
    note.save(update_fields=fields)
    return note


def note_delete(*, note: LessonNote) -> None:
    note.delete()
