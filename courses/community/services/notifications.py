"""E-mail of the community: an answer to a question one asked or follows, and the staff's
moderation digest. Sent by Celery tasks queued on commit; every mail carries a signed
one-click unsubscribe link (and List-Unsubscribe headers) for its kind."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from courses import access
from courses.models import Comment, EmailOptOut, LessonQuestion, QuestionReply
from courses.queue import task_send_on_commit

logger = logging.getLogger(__name__)

ANSWER_NOTIFY_TASK = "courses.community.tasks.answer_notify_send"
_UNSUBSCRIBE_SALT = "courses.community.unsubscribe"


def unsubscribe_token(*, email: str, kind: str) -> str:
    return signing.dumps({"e": email.lower(), "k": kind}, salt=_UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, email: str, kind: str) -> str:
    token = unsubscribe_token(email=email, kind=kind)
    return settings.SITE_URL.rstrip("/") + reverse("community:unsubscribe", args=[token])


def unsubscribe(*, token: str) -> tuple[str, str]:
    """Record the opt-out a signed link asks for; (email, kind). BadSignature if forged."""
    data = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    email, kind = data["e"], data["k"]
    if kind not in EmailOptOut.Kind.values:
        raise signing.BadSignature("unknown kind")
    EmailOptOut.objects.get_or_create(email=email, kind=kind)
    return email, kind


def emails_opted_out(emails: list[str], kind: str) -> set[str]:
    lowered = [e.lower() for e in emails]
    return set(
        EmailOptOut.objects.filter(kind=kind, email__in=lowered).values_list("email", flat=True)
    )


def mail_with_unsubscribe(*, to: str, kind: str, subject: str, template: str, context: dict):
    link = unsubscribe_url(email=to, kind=kind)
    context = {**context, "unsubscribe_url": link, "site_url": settings.SITE_URL.rstrip("/")}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        to=[to],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message


def answer_notify_enqueue(*, reply: QuestionReply) -> None:
    task_send_on_commit(ANSWER_NOTIFY_TASK, [reply.pk])


def answer_notify_send(*, reply_id: int) -> int:
    """Mail the question's followers (not the one who replied, not those who opted out)."""
    reply = (
        QuestionReply.objects.select_related("question__lesson__course", "user")
        .filter(pk=reply_id).first()
    )  # fmt: skip
    if reply is None:
        return 0
    question = reply.question
    followers = [user for user in question.followers.exclude(pk=reply.user_id).exclude(email="")]
    opted_out = emails_opted_out([u.email for u in followers], EmailOptOut.Kind.ANSWERS)
    lesson = question.lesson
    lesson_url = reverse("courses:lesson_detail", args=[lesson.course.slug, lesson.number])
    messages = [
        mail_with_unsubscribe(
            to=user.email,
            kind=EmailOptOut.Kind.ANSWERS,
            subject=f"{'The instructor answered' if reply.by_instructor else 'A new reply to'} "
            f"a question on lesson {lesson.number}",
            template="answer",
            context={
                "reply": reply,
                "question": question,
                "lesson": lesson,
                "user": user,
                "question_url": f"{lesson_url}#question-{question.pk}",
            },
        )  # fmt: skip
        for user in followers
        if user.email.lower() not in opted_out
    ]
    if messages:
        get_connection().send_messages(messages)
    return len(messages)


def moderators() -> list:
    """Staff who moderate (the digest's readers)."""
    User = get_user_model()
    permission = Q(user_permissions__codename="change_comment") | Q(
        groups__permissions__codename="change_comment"
    )
    staff = User.objects.filter(is_active=True, is_staff=True).filter(
        permission | Q(is_superuser=True)
    ).exclude(email="").distinct()  # fmt: skip
    return [user for user in staff if access.can_moderate(user)]


def moderation_digest_send() -> int:
    """One mail per moderator listing what arrived since the last digest; 0 if nothing."""
    with transaction.atomic():
        comments = list(
            Comment.objects.select_for_update(skip_locked=True)
            .filter(digested_at__isnull=True, status=Comment.Status.PENDING)
            .select_related("article")
        )
        questions = list(
            LessonQuestion.objects.select_for_update(skip_locked=True)
            .filter(digested_at__isnull=True, answered_at__isnull=True)
            .select_related("lesson")
        )
        if not comments and not questions:
            return 0
        now = timezone.now()
        Comment.objects.filter(pk__in=[c.pk for c in comments]).update(digested_at=now)
        LessonQuestion.objects.filter(pk__in=[q.pk for q in questions]).update(digested_at=now)
        readers = moderators()
        opted_out = emails_opted_out([u.email for u in readers], EmailOptOut.Kind.DIGEST)
        inbox_url = settings.SITE_URL.rstrip("/") + reverse("community:studio_inbox")
        messages = [
            mail_with_unsubscribe(
                to=user.email,
                kind=EmailOptOut.Kind.DIGEST,
                subject=f"{len(comments)} comment{'s' if len(comments) != 1 else ''} and "
                f"{len(questions)} question{'s' if len(questions) != 1 else ''} waiting",
                template="digest",
                context={"comments": comments, "questions": questions, "inbox_url": inbox_url},
            )
            for user in readers
            if user.email.lower() not in opted_out
        ]
        if messages:
            # Inside the transaction: if sending fails, the items stay undigested for the
            # next run rather than being marked as told.
            get_connection().send_messages(messages)
        logger.info("moderation digest: %d comments, %d questions, %d mails",
                    len(comments), len(questions), len(messages))  # fmt: skip
        return len(messages)
