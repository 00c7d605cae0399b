"""Lesson questions (who sees, who asks, answers, following) and the community's e-mail."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from courses.community.services.notifications import (
    answer_notify_send,
    moderation_digest_send,
)
from courses.community.services.questions import question_ask, question_follow, question_reply
from courses.community.spam import SubmissionRefused
from courses.models import Comment, EmailOptOut, Enrollment, Lesson, LessonQuestion, QuestionReply
from tests.courses.inert_html import XSS_PAYLOADS, html_problems
from tests.factories import InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_lesson(course) -> Lesson:
    return Lesson.objects.get(course=course, number=5)


@pytest.fixture
def learner(course):
    user = UserFactory(email="learner@example.org")
    Enrollment.objects.create(user=user, course=course, source="purchase")
    return user


def ask(lesson, user, guard, body="How light is light?", at_s=None):
    return question_ask(lesson=lesson, user=user, body=body, at_s=at_s, ip="1.1.1.1", **guard)


def test_a_paid_lessons_questions_are_for_enrolled_learners_and_staff(
    client, paid_lesson, learner, guard
):
    question = ask(paid_lesson, learner, guard)
    url = reverse("courses:lesson_detail", args=[paid_lesson.course.slug, paid_lesson.number])
    outsider = UserFactory()
    client.force_login(outsider)
    response = client.get(url)
    assert response.status_code == 403 and "How light is light?" not in response.content.decode()
    reply_url = reverse("community:question_reply", args=[question.pk])
    assert client.post(reply_url, {"body": "x"}).status_code == 403
    ask_url = reverse(
        "community:question_create", args=[paid_lesson.course.slug, paid_lesson.number]
    )
    assert client.post(ask_url, {"body": "x"}).status_code == 403
    assert client.get(ask_url).status_code == 403
    follow_url = reverse("community:question_follow", args=[question.pk])
    assert client.post(follow_url, {"follow": "1"}).status_code == 403
    assert not QuestionReply.objects.exists() and LessonQuestion.objects.count() == 1
    with pytest.raises(SubmissionRefused):
        ask(paid_lesson, outsider, guard)
    client.force_login(learner)
    assert "How light is light?" in client.get(url).content.decode()
    client.force_login(InstructorFactory())
    assert "How light is light?" in client.get(url).content.decode()


def test_a_preview_lessons_questions_are_public_but_only_learners_ask(
    client, course, learner, guard
):
    preview = Lesson.objects.get(course=course, number=1)
    ask(preview, learner, guard, body="Public question")
    html = client.get(reverse("courses:lesson_detail", args=[course.slug, 1])).content.decode()
    assert "Public question" in html and "Log in</a> to ask" in html
    with pytest.raises(SubmissionRefused):
        ask(preview, AnonymousUser(), guard)


def test_a_question_at_a_playback_time_links_there(client, paid_lesson, learner, guard):
    ask(paid_lesson, learner, guard, at_s=95.5)
    client.force_login(learner)
    html = client.get(
        reverse("courses:lesson_detail", args=[paid_lesson.course.slug, 5])
    ).content.decode()
    assert 'href="#t=96"' in html and "at 1:36" in html  # 95.5 s, rounded alike


def test_asking_through_the_page_keeps_a_refused_question(client, paid_lesson, learner):
    client.force_login(learner)
    url = reverse("community:question_create", args=[paid_lesson.course.slug, paid_lesson.number])
    response = client.post(url, {"body": "My typed question", "website": "", "form_started": "bad"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "expired" in html and "My typed question" in html
    assert not LessonQuestion.objects.exists()


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_questions_and_answers_come_out_inert(paid_lesson, learner, guard, payload):
    question = ask(paid_lesson, learner, guard, body=payload)
    reply = question_reply(
        question=question, user=InstructorFactory(), body=payload, ip="1", **guard
    )
    assert not html_problems(question.body_html) and not html_problems(reply.body_html)


def test_the_answer_reaches_the_asker_and_followers_by_smtp_with_a_working_unsubscribe(
    client, smtp_server, paid_lesson, learner, guard, settings
):
    settings.SITE_URL = "http://testserver"
    question = ask(paid_lesson, learner, guard)
    follower = UserFactory(email="follower@example.org")
    Enrollment.objects.create(user=follower, course=paid_lesson.course)
    question_follow(question=question, user=follower, follow=True)
    instructor = InstructorFactory(email="teacher@example.org")
    reply = question_reply(
        question=question, user=instructor, body="Very light: 5 grams.", ip="1", **guard
    )
    question.refresh_from_db()
    assert question.answered_at is not None and reply.by_instructor
    assert answer_notify_send(reply_id=reply.pk) == 2
    messages = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["follower@example.org", "learner@example.org"]
    text = messages[0].get_body(("plain",)).get_content()
    assert "Very light: 5 grams." in text and "The instructor answered" in text
    assert (
        messages[0]["List-Unsubscribe"]
        .strip()
        .startswith("<http://testserver/notifications/unsubscribe/")
    )
    link = re.search(r"Unsubscribe from these e-mails: (\S+)", text).group(1)
    page = client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200 and "unsubscribed" in page.content.decode()
    assert EmailOptOut.objects.filter(kind="answers").count() == 1
    second = question_reply(
        question=question, user=instructor, body="And breathe.", ip="1", **guard
    )
    assert answer_notify_send(reply_id=second.pk) == 1  # the one who unsubscribed is left out
    forged = client.get(reverse("community:unsubscribe", args=["not-a-token"]))
    assert forged.status_code == 400


def test_the_moderation_digest_is_one_mail_for_many_items(
    smtp_server, article, paid_lesson, learner, guard
):
    InstructorFactory(email="teacher@example.org")
    for n in range(3):
        Comment.objects.create(article=article, author_name=f"a{n}", author_email="a@e.org",
                               body=f"comment {n}", body_html="<p>x</p>")  # fmt: skip
    ask(paid_lesson, learner, guard, body="A question for the digest")
    assert moderation_digest_send() == 1
    (digest,) = smtp_server.wait_for(1)
    assert (
        digest["To"] == "teacher@example.org" and "3 comments and 1 question" in digest["Subject"]
    )
    text = digest.get_body(("plain",)).get_content()
    assert "comment 0" in text and "A question for the digest" in text and "/studio/inbox/" in text
    assert moderation_digest_send() == 0  # nothing new: no second mail
    assert len(smtp_server.messages) == 1


def test_the_digest_is_scheduled_by_celery_beat(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "courses.community.tasks.moderation_digest_send" in tasks


def test_following_and_unfollowing(client, paid_lesson, learner, guard):
    question = ask(paid_lesson, learner, guard)
    other = UserFactory()
    Enrollment.objects.create(user=other, course=paid_lesson.course)
    client.force_login(other)
    client.post(reverse("community:question_follow", args=[question.pk]), {"follow": "1"})
    assert question.followers.filter(pk=other.pk).exists()
    client.post(reverse("community:question_follow", args=[question.pk]), {"follow": "0"})
    assert not question.followers.filter(pk=other.pk).exists()


def test_the_instructor_answers_from_the_inbox(client, paid_lesson, learner, form_fields):
    question = ask(
        paid_lesson, learner, {"honeypot": "", "started_token": form_fields["form_started"]}
    )
    client.force_login(InstructorFactory())
    inbox = client.get(reverse("community:studio_inbox")).content.decode()
    assert "1 unanswered question" in inbox and "How light is light?" in inbox
    client.post(reverse("community:question_reply", args=[question.pk]),
                {"body": "About five grams.", "from": "inbox", **form_fields})  # fmt: skip
    question.refresh_from_db()
    assert question.answered_at and QuestionReply.objects.get().body == "About five grams."
    assert (
        "0 unanswered questions" in client.get(reverse("community:studio_inbox")).content.decode()
    )


def test_the_lesson_page_queries_stay_constant_with_many_questions(
    client, paid_lesson, learner, guard, django_assert_max_num_queries, settings
):
    settings.COMMUNITY_POSTS_PER_ACCOUNT = settings.COMMUNITY_POSTS_PER_IP = 100
    url = reverse("courses:lesson_detail", args=[paid_lesson.course.slug, paid_lesson.number])
    client.force_login(learner)
    ask(paid_lesson, learner, guard)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(15):
        question = ask(paid_lesson, learner, guard, body=f"q{n}")
        QuestionReply.objects.create(
            question=question, user=learner, body="r", body_html="<p>r</p>"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).content.decode().count('class="question"') == 16
