"""Learners' questions under a lesson, the instructor's answers, and following a thread."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from courses import access
from courses.community.services.notifications import answer_notify_enqueue
from courses.community.services.posting import post_guard
from courses.community.spam import SubmissionRefused
from courses.models import Lesson, LessonQuestion, QuestionReply, lesson_duration_s


def question_ask(
    *, lesson: Lesson, user, body: str, at_s: float | None, ip: str,
    honeypot: str = "", started_token: str = "",
) -> LessonQuestion:  # fmt: skip
    if not access.can_ask(user=user, lesson=lesson):
        raise SubmissionRefused("Only learners enrolled in the course can ask here.")
    html = post_guard(user=user, ip=ip, body=body, honeypot=honeypot, started_token=started_token)
    duration = lesson_duration_s(lesson)
    if at_s is not None and (at_s < 0 or (duration and at_s > duration)):
        at_s = None  # a time outside the video says nothing
    with transaction.atomic():
        question = LessonQuestion.objects.create(
            lesson=lesson, user=user, body=body, body_html=html, at_s=at_s
        )
        question.followers.add(user)  # the asker hears about answers
    return question


def question_reply(
    *, question: LessonQuestion, user, body: str, ip: str,
    honeypot: str = "", started_token: str = "",
) -> QuestionReply:  # fmt: skip
    """The instructor's answer, or another learner's reply; followers get an e-mail."""
    if not (access.can_moderate(user) or access.can_ask(user=user, lesson=question.lesson)):
        raise SubmissionRefused("Only learners enrolled in the course can reply here.")
    html = post_guard(user=user, ip=ip, body=body, honeypot=honeypot, started_token=started_token)
    by_instructor = access.can_moderate(user)
    with transaction.atomic():
        reply = QuestionReply.objects.create(
            question=question, user=user, body=body, body_html=html, by_instructor=by_instructor
        )
        if by_instructor and question.answered_at is None:
            question.answered_at = timezone.now()
            question.save(update_fields=["answered_at"])
        if not by_instructor:
            question.followers.add(user)
        answer_notify_enqueue(reply=reply)
    return reply


def question_follow(*, question: LessonQuestion, user, follow: bool) -> None:
    if follow:
        question.followers.add(user)
    else:
        question.followers.remove(user)


def question_delete(*, question: LessonQuestion) -> None:
    question.delete()
