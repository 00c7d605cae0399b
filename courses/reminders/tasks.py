"""Celery entry point of reminders (on beat): thin, the work is in services."""

from celery import shared_task

from courses.reminders.services import reminders_send_batch

REMINDERS_SEND_TASK = "courses.reminders.tasks.reminders_send"


@shared_task(name=REMINDERS_SEND_TASK)
def reminders_send() -> int:
    return reminders_send_batch()
