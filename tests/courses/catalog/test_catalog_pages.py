"""Catalog, course page, enrollment, dashboard, lesson placeholder and the account flow."""

import re

import pytest
from django.urls import reverse

from courses.catalog.views import text_paragraphs
from courses.models import Course, Enrollment, Lesson, Technique
from media_pipeline.formatting import duration_label

PASSWORD = "a-long-test-passphrase-9"


@pytest.fixture
def coded_course(db):
    course = Course.objects.create(
        slug="dvd-owners",
        title="For DVD owners",
        description="Owners only.",
        requires_access_code=True,
        access_code="Cranio-2024",
    )
    Lesson.objects.create(course=course, number=1, title="Only lesson")
    return course


def test_catalog_lists_published_courses(client, course):
    Course.objects.create(slug="draft", title="A draft course", is_published=False)
    response = client.get(reverse("courses:catalog"))
    assert response.status_code == 200
    html = response.content.decode()
    assert course.title in html and course.tagline in html
    assert "13 lessons" in html
    assert reverse("courses:course_detail", args=[course.slug]) in html
    assert "A draft course" not in html


def test_course_page_shows_text_syllabus_and_badges(client, course):
    response = client.get(reverse("courses:course_detail", args=[course.slug]))
    assert response.status_code == 200
    html = response.content.decode()

    assert course.title in html and course.tagline in html
    for paragraph in text_paragraphs(course.description) + text_paragraphs(course.who_it_helps):
        assert f"<p>{paragraph}</p>" in html
    assert len(text_paragraphs(course.description)) == 4

    lesson_ids = [int(n) for n in re.findall(r'id="lesson-(\d+)"', html)]
    assert lesson_ids == list(range(1, 14))
    for technique in Technique.objects.filter(course=course):
        assert technique.name in html
    # Technique 7 is listed within lesson 5, before lesson 6 starts.
    lesson5 = html[html.index('id="lesson-5"') : html.index('id="lesson-6"')]
    assert "Cranial Base (Suboccipital) Release" in lesson5
    previews = course.lessons.filter(is_preview=True).count()
    assert previews == 2 and html.count(">Free preview</span>") == previews
    assert "22 techniques" in html


def test_course_text_comes_from_the_database(client, course):
    course.description = "First paragraph.\n\nSecond paragraph."
    course.save(update_fields=["description"])
    html = client.get(reverse("courses:course_detail", args=[course.slug])).content.decode()
    assert "<p>First paragraph.</p>" in html and "<p>Second paragraph.</p>" in html
    assert "This home-study course teaches" not in html


def test_course_page_shows_durations_once_known(client, course, ready_video):
    Lesson.objects.filter(number=1).update(video=ready_video(754))
    Lesson.objects.filter(number=3).update(video=ready_video(3725.4))
    html = client.get(reverse("courses:course_detail", args=[course.slug])).content.decode()
    assert ">12:34</time>" in html and ">1:02:05</time>" in html
    assert html.count("</time>") == 2  # the others have no video yet


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (0, "0:00"), (59.6, "1:00"), (754, "12:34"), (3600, "1:00:00")],
)
def test_duration_label(seconds, text):
    assert duration_label(seconds) == text


def test_unknown_or_unpublished_course_is_404(client, course):
    Course.objects.create(slug="draft", title="Draft", is_published=False)
    assert client.get(reverse("courses:course_detail", args=["nope"])).status_code == 404
    assert client.get(reverse("courses:course_detail", args=["draft"])).status_code == 404


def test_anonymous_sees_signup_and_login_links(client, course):
    html = client.get(reverse("courses:course_detail", args=[course.slug])).content.decode()
    assert f"/accounts/login/?next=/courses/{course.slug}/" in html
    assert 'action="/courses/' not in html  # no enroll form without an account


def test_enroll_requires_login(client, course):
    response = client.post(reverse("courses:enroll", args=[course.slug]))
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/courses/{course.slug}/"
    assert not Enrollment.objects.exists()


def test_free_enroll_flow(client, user, free_course):
    course = free_course
    client.force_login(user)
    page = client.get(reverse("courses:course_detail", args=[course.slug])).content.decode()
    assert f'action="/courses/{course.slug}/enroll/"' in page
    assert "csrfmiddlewaretoken" in page
    assert 'name="access_code"' not in page

    response = client.post(reverse("courses:enroll", args=[course.slug]), follow=True)

    assert response.redirect_chain == [(reverse("courses:dashboard"), 302)]
    assert Enrollment.objects.filter(user=user, course=course).count() == 1
    assert "You&#x27;re enrolled in" in response.content.decode()
    page = client.get(reverse("courses:course_detail", args=[course.slug])).content.decode()
    assert "You're enrolled" in page and ">Enroll</button>" not in page

    again = client.post(reverse("courses:enroll", args=[course.slug]), follow=True)
    assert "already enrolled" in again.content.decode()
    assert Enrollment.objects.count() == 1


def test_enroll_with_the_right_access_code(client, user, coded_course):
    client.force_login(user)
    page = client.get(reverse("courses:course_detail", args=[coded_course.slug])).content.decode()
    assert 'name="access_code"' in page and '<label for="id_access_code"' in page
    response = client.post(
        reverse("courses:enroll", args=[coded_course.slug]), {"access_code": " cranio-2024 "}
    )
    assert response.status_code == 302 and response.url == reverse("courses:dashboard")
    assert Enrollment.objects.filter(user=user, course=coded_course).exists()


@pytest.mark.parametrize(
    ("code", "error"),
    [("wrong", "That access code is not right"), ("", "Enter the access code")],
)
def test_enroll_with_a_wrong_access_code_rerenders(client, user, coded_course, code, error):
    client.force_login(user)
    response = client.post(
        reverse("courses:enroll", args=[coded_course.slug]), {"access_code": code}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert 'aria-invalid="true"' in html
    assert coded_course.title in html  # the course page again, not a bare error
    assert not Enrollment.objects.exists()


def test_get_on_enroll_goes_back_to_the_course(client, user, course):
    client.force_login(user)
    response = client.get(reverse("courses:enroll", args=[course.slug]))
    assert response.status_code == 302 and response.url == f"/courses/{course.slug}/"
    assert not Enrollment.objects.exists()


def test_dashboard_lists_enrolled_courses(client, user, course, coded_course):
    Enrollment.objects.create(user=user, course=course)
    client.force_login(user)
    html = client.get(reverse("courses:dashboard")).content.decode()
    assert course.title in html and "13 lessons" in html
    assert reverse("courses:course_detail", args=[course.slug]) in html
    assert coded_course.title not in html


def test_dashboard_empty_and_login_required(client, user):
    response = client.get(reverse("courses:dashboard"))
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/dashboard/"
    client.force_login(user)
    assert "haven't enrolled" in client.get(reverse("courses:dashboard")).content.decode()


# --- lesson placeholder ---------------------------------------------------------------


def lesson_url(course, number):
    return reverse("courses:lesson_detail", args=[course.slug, number])


def test_preview_lesson_is_public(client, course):
    response = client.get(lesson_url(course, 2))
    assert response.status_code == 200
    html = response.content.decode()
    technique = Technique.objects.get(course=course, number=1)
    assert technique.description in html and technique.cautions in html
    assert "no video yet" in html


def test_locked_lesson_asks_to_enroll(client, user, course):
    technique = Technique.objects.get(course=course, number=7)  # lesson 5
    response = client.get(lesson_url(course, 5))
    assert response.status_code == 403
    html = response.content.decode()
    assert "This lesson is part of the full course" in html and technique.name in html
    assert technique.description not in html and technique.cautions not in html

    client.force_login(user)
    assert client.get(lesson_url(course, 5)).status_code == 403
    Enrollment.objects.create(user=user, course=course)
    response = client.get(lesson_url(course, 5))
    assert response.status_code == 200 and technique.cautions in response.content.decode()


def test_staff_can_open_any_lesson(client, staff_user, course, ready_video):
    Lesson.objects.filter(number=5).update(video=ready_video(600))
    client.force_login(staff_user)
    response = client.get(lesson_url(course, 5))
    assert response.status_code == 200
    assert "Duration 10:00" in response.content.decode()


def test_unknown_lesson_is_404(client, course):
    assert client.get(lesson_url(course, 99)).status_code == 404


# --- accounts -------------------------------------------------------------------------


# Sign-up and its e-mail confirmation: tests/courses/accounts/test_signup.py.


def test_login_and_logout(client, user):
    page = client.get(reverse("login")).content.decode()
    assert 'name="username"' in page and 'name="password"' in page
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("courses:dashboard")

    html = client.get(reverse("courses:catalog")).content.decode()
    assert 'action="/accounts/logout/"' in html and "Log out" in html
    assert "/studio/" not in html

    assert client.get(reverse("logout")).status_code == 405  # logout is POST only
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("courses:catalog")
    assert client.get(reverse("courses:dashboard")).status_code == 302


def test_login_with_next(client, user, course):
    response = client.post(
        reverse("login") + f"?next=/courses/{course.slug}/",
        {"username": "alice", "password": PASSWORD, "next": f"/courses/{course.slug}/"},
    )
    assert response.url == f"/courses/{course.slug}/"


def test_staff_see_the_studio_link(client, staff_user):
    client.force_login(staff_user)
    assert 'href="/studio/"' in client.get(reverse("courses:catalog")).content.decode()


def test_password_pages_render_in_the_site_layout(client, user):
    assert "Reset your password" in client.get(reverse("password_reset")).content.decode()
    client.force_login(user)
    html = client.get(reverse("password_change")).content.decode()
    assert "Change your password" in html and "site-header" in html
