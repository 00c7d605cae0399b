"""Instructor analytics on a small known data set, the CSV export and staff-only access."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from courses.analytics.selectors import BUCKETS, course_stats
from courses.catalog.services import curriculum_load
from courses.learning.progress.heartbeat.services import Beat, progress_beat_record
from courses.learning.progress.services import lesson_mark_complete
from courses.models import Course, Enrollment, Lesson, Technique


@pytest.fixture
def small(db, small_curriculum, write_yaml, ready_video):
    """Two lessons: lesson 1 has a 100 s video and techniques 1 (0-20 s) and 2 (40-60 s)."""
    curriculum_load(path=write_yaml(small_curriculum("small", lessons=2), name="small.yaml"))
    course = Course.objects.get(slug="small")
    Lesson.objects.filter(course=course, number=1).update(video=ready_video(100))
    Technique.objects.filter(course=course, number=1).update(start_s=0, end_s=20)
    Technique.objects.filter(course=course, number=2).update(start_s=40, end_s=60)
    return course


def watch(user, lesson, *ranges):
    """Beats of at most 10 s, 10 s of wall time apart (always plausible)."""
    now = timezone.now() - timedelta(hours=2)
    for start, end in ranges:
        position = start
        while position < end:
            chunk = min(position + 10, end)
            now += timedelta(seconds=10)
            progress_beat_record(
                user=user,
                lesson=lesson,
                beat=Beat(position_s=chunk, ranges=((position, chunk),)),
                now=now,
            )
            position = chunk


@pytest.fixture
def data(small, make_user, staff_user):
    """A watched all; B half; C 0-20 three times and 60-70; D enrolled, never played."""
    lesson = Lesson.objects.select_related("video__current_version").get(course=small, number=1)
    users = {name: make_user(name) for name in "abcd"}
    for user in users.values():
        Enrollment.objects.create(user=user, course=small)
    watch(users["a"], lesson, (0, 100))
    watch(users["b"], lesson, (0, 50))
    watch(users["c"], lesson, (0, 20), (0, 20), (0, 20), (60, 70))
    watch(staff_user, lesson, (0, 100))  # staff is not enrolled: not counted
    theory = Lesson.objects.get(course=small, number=2)
    lesson_mark_complete(user=users["a"], lesson=theory)
    return small


def test_lesson_numbers(data, django_assert_max_num_queries):
    # Five: enrollments, lessons, techniques, progress rows, download counts.
    with django_assert_max_num_queries(5):
        stats = course_stats(course=data)
    first, second = stats.lessons
    assert stats.enrolled == 4
    assert (first.enrolled, first.started, first.completed) == (4, 3, 1)
    assert first.median_watched_percent == 50.0  # of 100, 50 and 30
    # Midpoints 2.5 s, 7.5 s, ... 97.5 s.
    third = 1 / 3
    expected = [1.0] * 4 + [2 / 3] * 6 + [third] * 2 + [2 / 3] * 2 + [third] * 6
    assert len(first.dropoff) == BUCKETS
    assert first.dropoff == pytest.approx(expected)
    # Theory lesson without video: started/completed are the learners' own marks.
    assert (second.started, second.completed, second.median_watched_percent) == (1, 1, None)


def test_heat_counts_rewatches(data):
    first = course_stats(course=data).lessons[0]
    assert len(first.heat) == 100
    assert first.heat[:20] == [5] * 20  # a, b, and c three times
    assert first.heat[20:50] == [2] * 30
    assert first.heat[50:60] == [1] * 10
    assert first.heat[60:70] == [2] * 10
    assert first.heat[70:] == [1] * 30


def test_technique_numbers(data):
    t1, t2 = course_stats(course=data).lessons[0].techniques
    assert (t1.watched_by, t1.rewatched_by, t1.viewers, t1.plays) == (3, 1, 3, 5.0)
    assert t1.average_plays == pytest.approx(5 / 3, abs=0.01)
    # 40-60: a all of it; b 40-50 (half: not watched, half a play).
    assert (t2.watched_by, t2.rewatched_by, t2.viewers, t2.plays) == (1, 0, 2, 1.5)


def test_replaced_video_is_measured_against_the_new_duration(data, ready_video):
    lesson = Lesson.objects.get(course=data, number=1)
    Lesson.objects.filter(pk=lesson.pk).update(video=ready_video(200))
    first = course_stats(course=data).lessons[0]
    assert first.completed == 0  # a covered 100 of 200 s
    assert first.median_watched_percent == 25.0


def test_csv_export(client, staff_user, data):
    client.force_login(staff_user)
    response = client.get("/studio/analytics.csv?course=small")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="analytics-small.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    lesson1 = next(r for r in rows if r["kind"] == "lesson" and r["lesson"] == "1")
    assert (lesson1["enrolled"], lesson1["started"], lesson1["completed"]) == ("4", "3", "1")
    assert lesson1["median_watched_percent"] == "50"
    assert lesson1["dropoff_0"] == "1.0000"
    assert lesson1["dropoff_50"] == "0.3333"
    assert lesson1["dropoff_60"] == "0.6667"
    t1 = next(r for r in rows if r["kind"] == "technique" and r["technique"] == "1")
    assert (t1["watched_by"], t1["rewatched_by"], t1["plays"]) == ("3", "1", "5")
    assert len([r for r in rows if r["kind"] == "technique"]) == 4


def test_analytics_page(client, staff_user, data):
    client.force_login(staff_user)
    response = client.get("/studio/analytics/?course=small")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg class="dropoff"' in html
    assert '<svg class="heat"' in html
    assert "1. Technique 1" in html  # the technique marker's tooltip
    assert "50.0 %" in html  # median
    assert client.get("/studio/analytics/?course=nope").status_code == 404


def test_analytics_is_staff_only(client, user, data):
    for url in ("/studio/analytics/", "/studio/analytics.csv"):
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(user)
    for url in ("/studio/analytics/", "/studio/analytics.csv"):
        assert client.get(url).status_code == 403


def test_analytics_without_courses(client, staff_user):
    client.force_login(staff_user)
    assert client.get("/studio/analytics/").status_code == 200
    assert client.get("/studio/analytics.csv").status_code == 404
