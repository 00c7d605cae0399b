"""The heat column's move from one count per second to runs, on a real database."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("courses", "0004_lessonprogress_revision")]
AFTER = [("courses", "0005_lessonprogress_heat_runs")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_dense_heat_becomes_runs_and_back():
    apps = _migrate(BEFORE)
    User = apps.get_model("auth", "User")
    Course = apps.get_model("courses", "Course")
    Lesson = apps.get_model("courses", "Lesson")
    LessonProgress = apps.get_model("courses", "LessonProgress")
    user = User.objects.create(username="old-heat")
    course = Course.objects.create(slug="old-heat", title="Old heat")
    lesson = Lesson.objects.create(course=course, number=1, title="One")
    dense = [1, 1, 2, 2, 2, 0, 0, 1, 3]
    row = LessonProgress.objects.create(user=user, lesson=lesson, heat=dense)
    empty = LessonProgress.objects.create(
        user=user, lesson=Lesson.objects.create(course=course, number=2, title="Two")
    )
    try:
        apps = _migrate(AFTER)
        LessonProgress = apps.get_model("courses", "LessonProgress")
        assert LessonProgress.objects.get(pk=row.pk).heat == [
            [0, 2, 1],
            [2, 5, 2],
            [7, 8, 1],
            [8, 9, 3],
        ]
        assert LessonProgress.objects.get(pk=empty.pk).heat == []
        apps = _migrate(BEFORE)
        LessonProgress = apps.get_model("courses", "LessonProgress")
        assert LessonProgress.objects.get(pk=row.pk).heat == dense
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
