"""Celery entry points of the community domain: thin, the work is in services."""

from celery import shared_task

from courses.community.services.notifications import (
    ANSWER_NOTIFY_TASK,
    answer_notify_send,
    moderation_digest_send,
)


@shared_task(name=ANSWER_NOTIFY_TASK, autoretry_for=(OSError,), retry_backoff=30, max_retries=8)
def answer_notify_send_task(reply_id: int) -> int:
    return answer_notify_send(reply_id=reply_id)


@shared_task(name="courses.community.tasks.moderation_digest_send")
def moderation_digest_send_task() -> int:
    return moderation_digest_send()
