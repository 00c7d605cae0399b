"""The heartbeat's one read: user, lesson, video duration, enrollment and progress row.

Hand-written SQL, hand-built rows: this runs on every heartbeat, and the ORM's
equivalent (several querysets, select_related, Exists, model instances) costs more
than the database work itself (measured with bench/test_progress_bench.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cache

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections

from courses.learning.progress.heartbeat.db import prepared_fetchone
from courses.models import Course, Enrollment, Lesson, LessonProgress
from media_pipeline.models import Video, VideoVersion


@dataclass(slots=True)
class BeatRow:
    """The part of a LessonProgress row that a heartbeat reads and writes.

    A plain object, not a model instance: building models cost the heartbeat more
    than its queries (measured with bench/test_progress_bench.py).
    """

    id: int | None = None  # None: not stored yet
    revision: int = 0
    intervals: list = field(default_factory=list)
    watched_s: float = 0.0
    heat: list = field(default_factory=list)
    position_s: float = 0.0
    position_ts: int = 0
    first_watched_at: datetime | None = None
    last_watched_at: datetime | None = None
    last_beat_at: datetime | None = None
    allowance_s: float = 0.0
    recent_beat_ids: list = field(default_factory=list)


# The LessonProgress columns a heartbeat reads and writes, in BeatRow's order.
BEAT_FIELDS = tuple(f.name for f in fields(BeatRow) if f.name not in ("id", "revision"))


@dataclass(slots=True)
class BeatContext:
    """Everything a heartbeat needs, from one query (see beat_context_get)."""

    user_id: int
    password: str
    is_active: bool
    is_staff: bool
    lesson_id: int | None  # None: no such lesson in a published course
    course_id: int | None
    number: int | None
    title: str
    video_id: int | None
    version_id: int | None
    duration_s: float | None  # of the version learners are served; None: nothing playable
    enrolled: bool
    progress: BeatRow | None  # None: no row yet for this user and lesson

    def lesson(self) -> Lesson | None:
        """The lesson as a model instance, with its video's duration loaded."""
        if self.lesson_id is None:
            return None
        lesson = _loaded(
            Lesson(
                id=self.lesson_id,
                course_id=self.course_id,
                number=self.number,
                title=self.title,
                video_id=self.video_id,
            )
        )
        if self.video_id is not None:
            video = _loaded(Video(id=self.video_id, current_version_id=self.version_id))
            video.current_version = (
                _loaded(
                    VideoVersion(
                        id=self.version_id, video_id=self.video_id, duration_s=self.duration_s
                    )
                )
                if self.version_id is not None
                else None
            )
            lesson.video = video
        lesson.user_is_enrolled = self.enrolled
        return lesson


@cache
def _beat_context_sql() -> str:
    q = connection.ops.quote_name
    user, lesson = get_user_model()._meta.db_table, Lesson._meta.db_table
    course, enrollment = Course._meta.db_table, Enrollment._meta.db_table
    video, version = Video._meta.db_table, VideoVersion._meta.db_table
    progress = LessonProgress._meta
    columns = ", ".join(f"p.{q(progress.get_field(name).column)}" for name in BEAT_FIELDS)
    return (
        f"SELECT u.password, u.is_active, u.is_staff, "
        f"l.id, l.course_id, l.number, l.title, l.video_id, vid.current_version_id, "
        f"ver.duration_s, EXISTS(SELECT 1 FROM {q(enrollment)} e "
        f"WHERE e.user_id = u.id AND e.course_id = l.course_id), "
        f"p.id, p.revision, {columns} "
        f"FROM {q(user)} u "
        f"LEFT JOIN (SELECT ls.* FROM {q(lesson)} ls JOIN {q(course)} c ON c.id = ls.course_id "
        f"WHERE c.is_published) l ON l.id = %s "
        f"LEFT JOIN {q(video)} vid ON vid.id = l.video_id "
        f"LEFT JOIN {q(version)} ver ON ver.id = vid.current_version_id "
        f"LEFT JOIN {q(progress.db_table)} p ON p.user_id = u.id AND p.lesson_id = l.id "
        f"WHERE u.id = %s"
    )


def _loaded(obj):
    """Mark a hand-built instance as a row that exists (so save(update_fields=...) works)."""
    obj._state.adding, obj._state.db = False, connection.alias
    return obj


@cache
def _beat_converters() -> tuple[tuple, ...]:
    """Per BEAT_FIELDS column, the converters the ORM would apply (JSON, SQLite datetimes)."""
    table = LessonProgress._meta.db_table
    converters = []
    for name in BEAT_FIELDS:
        col = LessonProgress._meta.get_field(name).get_col(table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        converters.append((col, tuple(found)))
    return tuple(converters)


def beat_row_from_db(progress_id: int, revision: int, values) -> BeatRow:
    """A BeatRow from the id, the revision and the BEAT_FIELDS columns as the database gave them."""
    db = connections[DEFAULT_DB_ALIAS]
    converted = []
    for (col, converters), value in zip(_beat_converters(), values, strict=True):
        if value is not None:
            for converter in converters:
                value = converter(value, col, db)
        converted.append(value)
    return BeatRow(progress_id, revision, *converted)


def beat_context_get(*, user_id: int, lesson_id: int) -> BeatContext | None:
    """The user (with the password hash, to verify the session), the lesson of a published
    course with its video's duration, the enrollment, and the progress row: one query.

    None when there is no such user. Hand-written SQL: this runs on every heartbeat,
    and the ORM's equivalent (several querysets, select_related, Exists) costs more
    than the database work itself (measured with bench/test_progress_bench.py).
    """
    row = prepared_fetchone(_beat_context_sql(), [lesson_id, user_id])
    if row is None:
        return None
    progress_id, revision = row[11], row[12]
    return BeatContext(
        user_id=user_id,
        password=row[0],
        is_active=bool(row[1]),
        is_staff=bool(row[2]),
        lesson_id=row[3],
        course_id=row[4],
        number=row[5],
        title=row[6] or "",
        video_id=row[7],
        version_id=row[8],
        duration_s=row[9],
        enrolled=bool(row[10]),
        progress=None if progress_id is None else beat_row_from_db(progress_id, revision, row[13:]),
    )
