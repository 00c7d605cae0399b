"""The catalog, course page and syllabus API use a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.catalog.services import curriculum_load
from courses.models import Course, Enrollment, Lesson


@pytest.fixture
def small_course(db, small_curriculum, write_yaml, ready_video):
    curriculum_load(path=write_yaml(small_curriculum("small", lessons=3), name="small.yaml"))
    course = Course.objects.get(slug="small")
    Lesson.objects.filter(course=course, number=1).update(video=ready_video(300))
    return course


@pytest.fixture
def full_course(course, ready_video):
    # Some lessons with ready videos, so durations are looked up too.
    for number in (1, 2, 5, 13):
        Lesson.objects.filter(course=course, number=number).update(video=ready_video(600))
    return course


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    ["/courses/{slug}/", "/api/courses/{slug}/", "/courses/{slug}/lessons/1/"],
)
@pytest.mark.parametrize("logged_in", [False, True])
def test_same_queries_for_3_and_13_lessons(client, user, small_course, full_course, url, logged_in):
    if logged_in:
        # Enrolled in both: enrolled learners' pages also read their progress marks (one
        # query), and this compares course sizes, not enrolled with not enrolled.
        Enrollment.objects.create(user=user, course=small_course)
        Enrollment.objects.create(user=user, course=full_course)
        client.force_login(user)
    small = count_queries(client, url.format(slug=small_course.slug))
    full = count_queries(client, url.format(slug=full_course.slug))
    assert small == full


def test_catalog_queries_do_not_grow_with_courses(client, user, small_course, full_course):
    client.force_login(user)
    few = count_queries(client, "/")
    for n in range(5):
        Course.objects.create(slug=f"extra-{n}", title=f"Extra {n}")
    assert count_queries(client, "/") == few
    assert count_queries(client, "/api/courses/") == 1


def test_absolute_query_budgets(client, user, full_course, django_assert_max_num_queries):
    Enrollment.objects.create(user=user, course=full_course)
    client.force_login(user)
    # session + user + the page's own queries (+1: the enrolled learner's progress marks,
    # +1: their player settings, for the preview dialog's player)
    with django_assert_max_num_queries(8):
        client.get(f"/courses/{full_course.slug}/")
    with django_assert_max_num_queries(4):
        client.get("/")
    with django_assert_max_num_queries(5):  # +1: whether reminders are on
        client.get("/dashboard/")
    client.logout()
    with django_assert_max_num_queries(3):
        client.get(f"/api/courses/{full_course.slug}/")
