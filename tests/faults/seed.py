"""The rows the fault tests browse: a course, a lesson with a ready 10-minute video, learners.

Used in the test process (on pytest's database) and, for the PostgreSQL cluster of the test's
own, as ``python -m tests.faults.seed N`` in a subprocess whose DATABASE_URL points there
(it prints the ids as JSON).
"""

from __future__ import annotations

import json
import os
import sys

LESSON_DURATION_S = 600.0


def learning_setup(*, learners: int) -> dict:
    from courses.models import Enrollment
    from tests.factories import (
        PASSWORD,
        CourseFactory,
        LessonFactory,
        UserFactory,
        ready_video_create,
    )

    course = CourseFactory(slug="fault-course", title="Fault course")
    lesson = LessonFactory(
        course=course, number=1, video=ready_video_create(duration_s=LESSON_DURATION_S)
    )
    usernames = []
    for n in range(learners):
        user = UserFactory(username=f"learner{n}")
        Enrollment.objects.create(user=user, course=course)
        usernames.append(user.username)
    return {
        "course_slug": course.slug,
        "lesson_id": lesson.pk,
        "lesson_number": lesson.number,
        "duration_s": LESSON_DURATION_S,
        "usernames": usernames,
        "password": PASSWORD,
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    print(json.dumps(learning_setup(learners=int(sys.argv[1]))))
