"""courses.access: one test per rule, and staff without a permission are refused."""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from courses import access
from tests.factories import (
    EnrollmentFactory,
    InstructorFactory,
    LessonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid():
    return LessonFactory(is_preview=False)


@pytest.fixture
def preview(paid):
    return LessonFactory(course=paid.course, is_preview=True)


def test_watching_a_preview_is_public(preview):
    assert access.can_watch(user=AnonymousUser(), lesson=preview)
    assert access.can_watch(user=UserFactory(), lesson=preview)
    assert access.lesson_access(user=AnonymousUser(), lesson=preview) == access.ALLOWED


def test_watching_a_paid_lesson_takes_an_enrollment(paid):
    stranger, learner = UserFactory(), UserFactory()
    EnrollmentFactory(user=learner, course=paid.course)
    assert not access.can_watch(user=AnonymousUser(), lesson=paid)
    assert access.lesson_access(user=AnonymousUser(), lesson=paid) == access.LOGIN_REQUIRED
    assert not access.can_watch(user=stranger, lesson=paid)
    assert access.lesson_access(user=stranger, lesson=paid) == access.ENROLL_REQUIRED
    assert access.can_watch(user=learner, lesson=paid)
    # An enrollment in another course opens nothing here.
    other = UserFactory()
    EnrollmentFactory(user=other)
    assert not access.can_watch(user=other, lesson=paid)


def test_staff_may_watch_any_lesson(paid):
    assert access.can_watch(user=UserFactory(is_staff=True), lesson=paid)


def test_recording_progress_is_for_enrolled_learners_and_staff(preview, paid):
    learner, stranger = UserFactory(), UserFactory()
    EnrollmentFactory(user=learner, course=paid.course)
    for lesson in (preview, paid):
        assert access.can_record(user=learner, lesson=lesson)
        assert access.can_record(user=UserFactory(is_staff=True), lesson=lesson)
        # A preview is watchable by anyone, but there is nobody to record for.
        assert not access.can_record(user=stranger, lesson=lesson)
        assert not access.can_record(user=AnonymousUser(), lesson=lesson)
    assert access.can_record(user=learner, course=paid.course)
    assert not access.can_record(user=stranger, course=paid.course)
    # The heartbeat's form of the rule, on facts it loaded itself.
    assert access.progress_recordable(is_staff=True, enrolled=False)
    assert access.progress_recordable(is_staff=False, enrolled=True)
    assert not access.progress_recordable(is_staff=False, enrolled=False)


def test_staff_actions_take_model_permissions():
    bare_staff = UserFactory(is_staff=True)
    instructor = InstructorFactory()
    uploads_only = InstructorFactory(permissions=[access.MANAGE_LESSONS_PERMISSION])
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert not access.can_manage_lessons(bare_staff)
    assert not access.can_view_analytics(bare_staff)
    assert access.can_manage_lessons(instructor) and access.can_view_analytics(instructor)
    assert access.can_manage_lessons(uploads_only)
    assert not access.can_view_analytics(uploads_only)
    assert access.can_manage_lessons(superuser) and access.can_view_analytics(superuser)
    # A permission without staff status is not enough (the studio is a staff tool).
    learner = InstructorFactory(is_staff=False)
    assert not access.can_manage_lessons(learner)
    assert not access.can_manage_lessons(AnonymousUser())


def test_staff_without_the_permission_get_403_in_the_studio_and_its_apis(client, paid):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("studio:studio")).status_code == 403
    assert client.get(reverse("studio:analytics")).status_code == 403
    assert client.get(reverse("studio:analytics_csv")).status_code == 403
    assert client.get("/api/studio/lessons").status_code == 403
    response = client.post(
        f"/api/studio/lessons/{paid.pk}/preview",
        {"is_preview": True},
        content_type="application/json",
    )
    assert response.status_code == 403
    paid.refresh_from_db()
    assert not paid.is_preview  # a refused request changes nothing
    # The uploader's endpoints refuse before even looking the upload up.
    assert client.get(f"/api/media/uploads/{uuid.uuid4()}").status_code == 403
    assert client.delete(f"/api/media/uploads/{uuid.uuid4()}").status_code == 403


def test_the_permission_opens_the_studio_and_its_apis(client, paid):
    client.force_login(InstructorFactory())
    assert client.get(reverse("studio:studio")).status_code == 200
    assert client.get(reverse("studio:analytics")).status_code == 200
    assert client.get("/api/studio/lessons").status_code == 200
    response = client.post(
        f"/api/studio/lessons/{paid.pk}/preview",
        {"is_preview": True},
        content_type="application/json",
    )
    assert response.status_code == 200
    paid.refresh_from_db()
    assert paid.is_preview


def test_analytics_needs_its_own_permission(client):
    client.force_login(InstructorFactory(permissions=[access.MANAGE_LESSONS_PERMISSION]))
    assert client.get(reverse("studio:studio")).status_code == 200
    assert client.get(reverse("studio:analytics")).status_code == 403


def test_the_navigation_shows_staff_links_by_permission(client):
    client.force_login(UserFactory(is_staff=True))
    html = client.get(reverse("courses:catalog")).content.decode()
    assert ">Studio<" not in html and ">Analytics<" not in html
    client.force_login(InstructorFactory(permissions=[access.MANAGE_LESSONS_PERMISSION]))
    html = client.get(reverse("courses:catalog")).content.decode()
    assert f'href="{reverse("studio:studio")}"' in html and ">Analytics<" not in html
    client.force_login(InstructorFactory())
    html = client.get(reverse("courses:catalog")).content.decode()
    assert ">Studio<" in html and f'href="{reverse("studio:analytics")}"' in html
