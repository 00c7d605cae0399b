"""The security tests' world: the real course, one account per role, a second learner's data.

Built once per module inside a transaction that is rolled back at the end of the module, and
every request these tests make runs in a savepoint of its own that is rolled back as well
(`rolled_back`), so a POST as one role never changes what the next role sees.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from courses.articles.services import article_save
from courses.catalog.services import curriculum_load
from courses.commerce.services.orders import order_number_new
from courses.models import (
    AccessCode,
    Article,
    Certificate,
    Course,
    Enrollment,
    Lesson,
    LessonCaption,
    LessonNote,
    LessonProgress,
    LessonQuestion,
    Order,
    TechniquePractice,
)
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    RenditionFactory,
    UserFactory,
    ready_video_create,
)

CURRICULUM_PATH = Path(settings.BASE_DIR) / "courses" / "data" / "craniosacral-therapy.yaml"
PAID, PREVIEW, THEORY = 5, 2, 6  # lesson numbers: paid with a video, free preview, paid without

ANONYMOUS, SIGNED_IN, ENROLLED, STAFF, INSTRUCTOR = (
    "anonymous",
    "signed_in",  # an account, not enrolled
    "enrolled",  # the learner enrolled in the course ("the first learner")
    "staff",  # is_staff=True, no permissions
    "instructor",  # InstructorFactory: staff with the studio's, sales' and moderation permissions
)
ROLES = (ANONYMOUS, SIGNED_IN, ENROLLED, STAFF, INSTRUCTOR)

# What only the second learner wrote or owns: none of it may reach another account.
OTHER_USERNAME = "second-learner-q7x"
OTHER_EMAIL = "second-learner-q7x@example.org"
OTHER_NOTE = "private-practice-note-zq81"
OTHER_QUESTION = "private-question-text-kv52"
OTHER_POSITION_S = 417.25
OTHER_FULL_NAME = "Secunda Learnwell-Xq"  # as printed on their certificate
OTHER_LESSON_NOTE = "private-lesson-note-mw93"


@dataclass
class World:
    course: Course
    paid: Lesson
    preview: Lesson
    theory: Lesson
    users: dict[str, object]  # role -> user (None for anonymous)
    other: object  # the second learner, enrolled, with notes, progress, an order, a question
    learner_order: Order
    other_order: Order
    other_question: LessonQuestion
    learner_question: LessonQuestion
    preview_question: LessonQuestion
    article: Article
    draft: Article
    code: AccessCode
    version_id: object
    hidden: Lesson  # a lesson of an unpublished course the learner is enrolled in
    hidden_question: LessonQuestion  # the learner's, under it
    learner_certificate: Certificate
    other_certificate: Certificate
    learner_note: LessonNote
    other_note: LessonNote
    secrets: list[str] = field(default_factory=list)  # the second learner's texts, to look for


def _order(user, course: Course) -> Order:
    price = course.price_minor or 14900
    return Order.objects.create(
        number=order_number_new(),
        user=user,
        course=course,
        status=Order.Status.PAID,
        currency=course.currency or "USD",
        list_price_minor=price,
        amount_minor=price,
        paid_at=timezone.now(),
        card_brand="visa",
        card_last4="4242",
    )


def _certificate(user, course: Course, name: str) -> Certificate:
    return Certificate.objects.create(
        user=user,
        course=course,
        full_name=name,
        course_title=course.title,
        completed_on=date(2026, 11, 30),
        pdf_key=f"certificates/{user.username}.pdf",  # a name is enough: the URL is presigned
        pdf_made_at=timezone.now(),
    )


def world_build() -> World:
    curriculum_load(path=CURRICULUM_PATH)
    course = Course.objects.get(slug="craniosacral-therapy")
    lessons = {lesson.number: lesson for lesson in course.lessons.all()}
    paid, preview, theory = lessons[PAID], lessons[PREVIEW], lessons[THEORY]
    for lesson in (paid, preview):
        lesson.video = ready_video_create(duration_s=600.0)
        lesson.save(update_fields=["video"])
    version = paid.video.current_version
    version.upload_part_size = settings.MEDIA_UPLOAD_PART_BYTES  # as every real upload has
    # The paid lesson may be downloaded, and its MP4 is made (a key is enough: presigned).
    version.download_key = f"videos/{version.pk}/download.mp4"
    version.download_rendition, version.download_size = "720p", 312_000_000
    version.save(
        update_fields=["upload_part_size", "download_key", "download_rendition", "download_size"]
    )
    paid.downloads = True
    paid.save(update_fields=["downloads"])
    RenditionFactory(version=version, playlist="#EXTM3U\n#EXT-X-ENDLIST\n")
    LessonCaption.objects.create(
        lesson=paid, language="en", label="English", vtt="WEBVTT\n\n00:00.000 --> 00:02.000\nHi\n"
    )

    users = {
        ANONYMOUS: None,
        SIGNED_IN: UserFactory(username="visitor"),
        ENROLLED: UserFactory(username="learner"),
        STAFF: UserFactory(username="staff-no-perms", is_staff=True),
        INSTRUCTOR: InstructorFactory(username="teacher"),
    }
    learner = users[ENROLLED]
    Enrollment.objects.create(user=learner, course=course, source=Enrollment.Source.PURCHASE)
    other = UserFactory(username=OTHER_USERNAME, email=OTHER_EMAIL)
    Enrollment.objects.create(user=other, course=course, source=Enrollment.Source.PURCHASE)

    technique = paid.techniques.order_by("number").first()
    TechniquePractice.objects.create(
        user=other, technique=technique, practiced_on=date(2026, 3, 14), note=OTHER_NOTE
    )
    LessonProgress.objects.create(
        user=other,
        lesson=paid,
        intervals=[[0.0, OTHER_POSITION_S]],
        watched_s=OTHER_POSITION_S,
        position_s=OTHER_POSITION_S,
        first_watched_at=timezone.now(),
        last_watched_at=timezone.now(),
    )
    LessonProgress.objects.create(
        user=other, lesson=theory, marked_complete_at=timezone.now(), position_s=0
    )
    other_question = LessonQuestion.objects.create(
        lesson=paid, user=other, body=OTHER_QUESTION, body_html=f"<p>{OTHER_QUESTION}</p>"
    )
    learner_question = LessonQuestion.objects.create(
        lesson=paid, user=learner, body="Where do my hands go?", body_html="<p>Where?</p>"
    )
    preview_question = LessonQuestion.objects.create(
        lesson=preview, user=learner, body="How light is light?", body_html="<p>How?</p>"
    )
    article = article_save(
        Article(
            slug="guide",
            title="A guide",
            summary="S",
            body="Body",
            course=course,
            status=Article.Status.PUBLISHED,
            cover_image="articles/covers/guide.jpg",  # a name is enough: the URL is presigned
        )
    )
    draft = article_save(Article(slug="draft", title="Draft", summary="S", body="B", course=course))
    code = AccessCode.objects.create(course=course, code="GIFTCODE2027", batch="workshop")
    other_order = _order(other, course)
    other_certificate = _certificate(other, course, OTHER_FULL_NAME)
    other_note = LessonNote.objects.create(
        user=other, lesson=paid, time_s=42.0, body=OTHER_LESSON_NOTE, body_html=OTHER_LESSON_NOTE
    )
    learner_note = LessonNote.objects.create(
        user=learner, lesson=paid, time_s=12.0, body="Softer here.", body_html="Softer here."
    )
    hidden = LessonFactory(course=CourseFactory(slug="retired-course", is_published=False))
    Enrollment.objects.create(user=learner, course=hidden.course)
    hidden_question = LessonQuestion.objects.create(
        lesson=hidden, user=learner, body="Still there?", body_html="<p>Still there?</p>"
    )
    return World(
        course=course,
        paid=paid,
        preview=preview,
        theory=theory,
        users=users,
        other=other,
        learner_order=_order(learner, course),
        other_order=other_order,
        other_question=other_question,
        learner_question=learner_question,
        preview_question=preview_question,
        article=article,
        draft=draft,
        code=code,
        version_id=version.pk,
        hidden=hidden,
        hidden_question=hidden_question,
        learner_certificate=_certificate(learner, course, "First Learner"),
        other_certificate=other_certificate,
        learner_note=learner_note,
        other_note=other_note,
        secrets=[
            OTHER_LESSON_NOTE,
            OTHER_USERNAME,
            OTHER_EMAIL,
            OTHER_NOTE,
            OTHER_QUESTION,
            other_order.number,
            other_certificate.code,
            OTHER_FULL_NAME,
        ],
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, seaweedfs):
    """The world of this module, in a transaction rolled back when the module is done.

    Stripe is switched off (no secret key): nothing here may reach a payment provider, and a
    call that tried would answer "payments are not configured" instead.
    """
    from django.test.utils import override_settings

    with (
        django_db_blocker.unblock(),
        override_settings(STRIPE_SECRET_KEY="", STRIPE_API_BASE=""),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield world_build()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def world_db(world, db):
    """The module's world for a test (which runs in a savepoint of its own)."""
    return world


@contextlib.contextmanager
def rolled_back():
    """Whatever happens inside (a refund, a new question, a heartbeat) is undone after."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def client_for(user, **client_kwargs) -> Client:
    client = Client(**client_kwargs)
    if user is not None:
        client.force_login(user)
    return client


def started_long_ago() -> str:
    """The community forms' time-trap stamp from a minute ago: a person's pace."""
    from courses.community.spam import form_started_token

    return form_started_token(now=time.time() - 60)
