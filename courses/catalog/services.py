"""Loading the curriculum file into courses, lessons and techniques."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from courses.catalog.curriculum import MISSING, Curriculum, CurriculumError, curriculum_parse
from courses.models import Course, Lesson, Technique, lesson_duration_s

__all__ = ["CurriculumError", "CurriculumLoadResult", "curriculum_load"]


@dataclass
class CurriculumLoadResult:
    course_slug: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    # Things the loader deliberately did not do, or that staff should check.
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.course_slug}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.deleted} deleted"
        )
        if self.notes:
            text += f" ({len(self.notes)} note{'s' * (len(self.notes) != 1)})"
        return text


def _apply(obj, values: dict, result: CurriculumLoadResult) -> None:
    """Set the given (non-MISSING) values on an existing object, saving only what changed."""
    changed = [name for name, value in values.items() if value is not MISSING]
    changed = [name for name in changed if getattr(obj, name) != values[name]]
    if not changed:
        result.unchanged += 1
        return
    for name in changed:
        setattr(obj, name, values[name])
    if hasattr(obj, "updated_at"):
        changed.append("updated_at")
    obj.save(update_fields=changed)
    result.updated += 1


def _create(model, values: dict, result: CurriculumLoadResult):
    obj = model.objects.create(**{k: v for k, v in values.items() if v is not MISSING})
    result.created += 1
    return obj


def curriculum_load(*, path: Path) -> CurriculumLoadResult:
    """Create or update a course, its lessons and techniques from a YAML file.

    Everything happens in one transaction: a bad file changes nothing. Rows are
    matched by (course slug, lesson number) and (course slug, technique number).
    Fields the file leaves out are not touched, so video links and technique
    times set in the admin survive a reload.
    """
    curriculum = curriculum_parse(path=Path(path))
    with transaction.atomic():
        return _curriculum_apply(curriculum)


def _curriculum_apply(curriculum: Curriculum) -> CurriculumLoadResult:
    spec = curriculum.course
    result = CurriculumLoadResult(course_slug=spec.slug)
    course_values = {
        "title": spec.title,
        "tagline": spec.tagline,
        "description": spec.description,
        "who_it_helps": spec.who_it_helps,
        "is_published": spec.is_published,
        "requires_access_code": spec.requires_access_code,
        "access_code": spec.access_code,
        "price_minor": spec.price_minor,
        "currency": spec.currency,
    }
    course = Course.objects.select_for_update().filter(slug=spec.slug).first()
    needs_code = spec.requires_access_code is True
    if needs_code and not (course and course.requires_access_code):
        raise CurriculumError(
            curriculum.path,
            [
                (
                    curriculum.line_of("course.requires_access_code"),
                    "course.requires_access_code",
                    "shared access codes are legacy and kept only where a course already has "
                    "one; generate single-use codes in the studio instead",
                )
            ],
        )
    if needs_code and spec.access_code is MISSING and not (course and course.access_code):
        raise CurriculumError(
            curriculum.path,
            [
                (
                    curriculum.line_of("course.requires_access_code"),
                    "course.access_code",
                    "requires_access_code is true but no access code is set; add access_code "
                    "here or set it in the admin first",
                )
            ],
        )
    if course is None:
        course = _create(Course, {"slug": spec.slug, **course_values}, result)
    else:
        _apply(course, course_values, result)

    lessons = {
        lesson.number: lesson
        for lesson in Lesson.objects.filter(course=course).select_related("video__current_version")
    }
    techniques = {t.number: t for t in Technique.objects.filter(course=course)}
    lessons_by_pk = {lesson.pk: lesson for lesson in lessons.values()}

    for lesson_spec in spec.lessons:
        values = {
            "title": lesson_spec.title,
            "summary": lesson_spec.summary,
            "is_preview": lesson_spec.is_preview,
        }
        lesson = lessons.get(lesson_spec.number)
        if lesson is None:
            values = {"course": course, "number": lesson_spec.number, **values}
            lesson = _create(Lesson, values, result)
            lessons[lesson.number] = lesson
        else:
            _apply(lesson, values, result)

    file_lessons = {lesson_spec.number for lesson_spec in spec.lessons}
    file_techniques = set()
    for lesson_spec in spec.lessons:
        lesson = lessons[lesson_spec.number]
        for t_spec in lesson_spec.techniques:
            file_techniques.add(t_spec.number)
            _check_times_fit(curriculum, t_spec, lesson)
            values = {
                "lesson_id": lesson.pk,  # the id, so comparing does not fetch the old lesson
                "name": t_spec.name,
                "description": t_spec.description,
                "cautions": t_spec.cautions,
                "start_s": t_spec.start_s,
                "end_s": t_spec.end_s,
            }
            technique = techniques.get(t_spec.number)
            if technique is None:
                _create(Technique, {"course": course, "number": t_spec.number, **values}, result)
                continue
            old_lesson = lessons_by_pk.get(technique.lesson_id)
            moved = technique.lesson_id != lesson.pk
            _apply(technique, values, result)
            if moved and t_spec.start_s is MISSING and technique.start_s is not None:
                # The times were set against the old lesson's video; the file does not
                # give new ones and they are staff data, so flag them instead of erasing.
                result.notes.append(
                    f"Technique {technique.number} moved from lesson "
                    f"{old_lesson.number if old_lesson else '?'} to lesson {lesson.number}; "
                    "its start/end times were kept; check them in the admin."
                )

    for number, technique in sorted(techniques.items()):
        if number in file_techniques:
            continue
        lesson = lessons_by_pk.get(technique.lesson_id)
        if lesson is not None and lesson.video_id is not None:
            # Its times point into a video that staff attached; keep it for them to decide.
            result.notes.append(
                f"Technique {number} ({technique.name}) is no longer in the file but was kept "
                f"because its lesson {lesson.number} has a video; delete it in the admin if "
                "it should go."
            )
            continue
        technique.delete()
        result.deleted += 1

    for number, lesson in sorted(lessons.items()):
        if number in file_lessons:
            continue
        if lesson.video_id is not None:
            # Deleting the lesson would orphan the uploaded video from the course;
            # never lose that link implicitly.
            result.notes.append(
                f"Lesson {number} ({lesson.title}) is no longer in the file but was kept "
                "because it has a video attached; detach the video or delete the lesson in "
                "the admin if it should go."
            )
            continue
        lesson.delete()
        result.deleted += 1
    return result


def _check_times_fit(curriculum: Curriculum, t_spec, lesson: Lesson) -> None:
    if t_spec.end_s is MISSING or t_spec.end_s is None:
        return
    duration = lesson_duration_s(lesson) if lesson.pk else None
    # Same tolerance as Technique.clean(): container durations are rounded.
    if duration is not None and t_spec.end_s > duration + 0.5:
        path = t_spec.path
        raise CurriculumError(
            curriculum.path,
            [
                (
                    curriculum.line_of(f"{path}.end_s"),
                    f"{path}.end_s",
                    f"is past the end of lesson {lesson.number}'s video ({duration:.1f} s)",
                )
            ],
        )
