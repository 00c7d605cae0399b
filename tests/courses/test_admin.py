"""The admin pages load for staff, with filters and search, and inline techniques validate."""

import pytest
from django.urls import reverse

from courses.models import Enrollment, Lesson, Technique


@pytest.fixture
def admin_client_(client, staff_user, course, user):
    Enrollment.objects.create(user=user, course=course)
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("course", ""),
        ("course", "?q=craniosacral"),
        ("lesson", ""),
        ("lesson", "?q=sacrum"),
        ("lesson", "?is_preview__exact=1"),
        ("lesson", "?course__id__exact={course}"),
        ("technique", ""),
        ("technique", "?q=pregnancy"),
        ("technique", "?course__id__exact={course}"),
        ("technique", "?lesson__id__exact={lesson}"),
        ("enrollment", ""),
        ("enrollment", "?q=alice"),
        ("enrollment", "?course__id__exact={course}"),
    ],
)
def test_changelists_load(admin_client_, course, model, query):
    lesson = course.lessons.get(number=5)
    url = reverse(f"admin:courses_{model}_changelist") + query.format(
        course=course.pk, lesson=lesson.pk
    )
    response = admin_client_.get(url)
    assert response.status_code == 200


def test_changelist_search_and_filter_results(admin_client_, course):
    html = admin_client_.get(
        reverse("admin:courses_lesson_changelist") + "?is_preview__exact=1"
    ).content.decode()
    assert "2 lessons" in html
    html = admin_client_.get(
        reverse("admin:courses_technique_changelist") + "?q=Hyoid"
    ).content.decode()
    assert "Hyoid Release" in html and "Arcing" not in html


def test_change_and_add_pages_load(admin_client_, course):
    lesson = course.lessons.get(number=5)
    for url in (
        reverse("admin:courses_lesson_change", args=[lesson.pk]),
        reverse("admin:courses_course_change", args=[course.pk]),
        reverse("admin:courses_technique_change", args=[lesson.techniques.first().pk]),
        reverse("admin:courses_lesson_add"),
        reverse("admin:courses_enrollment_add"),
    ):
        assert admin_client_.get(url).status_code == 200, url
    html = admin_client_.get(reverse("admin:courses_lesson_change", args=[lesson.pk])).content
    assert b"CV-4" in html  # techniques inline


def test_admin_is_staff_only(client, user, course):
    client.force_login(user)
    response = client.get(reverse("admin:courses_lesson_changelist"))
    assert response.status_code == 302


def inline_post(lesson: Lesson, rows: list[dict]) -> dict:
    data = {
        "course": lesson.course_id,
        "number": lesson.number,
        "title": lesson.title,
        "summary": lesson.summary,
        "video": lesson.video_id or "",
        "techniques-TOTAL_FORMS": len(rows),
        "techniques-INITIAL_FORMS": sum(1 for row in rows if row.get("id")),
        "techniques-MIN_NUM_FORMS": 0,
        "techniques-MAX_NUM_FORMS": 1000,
        # The captions inline's management form: the admin posts it with every lesson.
        "captions-TOTAL_FORMS": 0,
        "captions-INITIAL_FORMS": 0,
    }
    if lesson.is_preview:
        data["is_preview"] = "on"
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"techniques-{i}-{key}"] = "" if value is None else value
        data[f"techniques-{i}-lesson"] = lesson.pk
    return data


def existing_rows(lesson: Lesson) -> list[dict]:
    return [
        {"id": t.pk, "number": t.number, "name": t.name, "start_s": t.start_s, "end_s": t.end_s}
        for t in lesson.techniques.order_by("number")
    ]


def test_inline_adds_a_technique_in_the_lessons_course(admin_client_, course):
    lesson = course.lessons.get(number=7)  # a theory lesson without techniques
    url = reverse("admin:courses_lesson_change", args=[lesson.pk])
    rows = [{"number": 23, "name": "Seated still point", "start_s": 1, "end_s": 30}]
    response = admin_client_.post(url, inline_post(lesson, rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    technique = Technique.objects.get(number=23)
    assert (technique.course_id, technique.lesson_id) == (course.pk, lesson.pk)


def test_inline_rejects_a_number_used_elsewhere_in_the_course(admin_client_, course):
    lesson = course.lessons.get(number=7)
    url = reverse("admin:courses_lesson_change", args=[lesson.pk])
    response = admin_client_.post(url, inline_post(lesson, [{"number": 1, "name": "Clash"}]))
    assert response.status_code == 200
    assert "Technique 1 already exists in this course." in response.content.decode()
    assert Technique.objects.filter(course=course, number=1).get().name == "Arcing"


def test_inline_times_are_checked_against_the_video(admin_client_, course, ready_video):
    lesson = course.lessons.get(number=5)
    lesson.video = ready_video(600)
    lesson.save(update_fields=["video"])
    rows = existing_rows(lesson)
    rows[0].update(start_s=500, end_s=700)
    url = reverse("admin:courses_lesson_change", args=[lesson.pk])
    response = admin_client_.post(url, inline_post(lesson, rows))
    assert response.status_code == 200
    assert "past the end of the lesson video" in response.content.decode()
    assert Technique.objects.get(pk=rows[0]["id"]).end_s is None
