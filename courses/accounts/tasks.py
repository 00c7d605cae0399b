"""Celery entry points of accounts: expired sessions are deleted (nothing else ever would)."""

from celery import shared_task
from django.core.management import call_command

SESSIONS_CLEAR_TASK = "courses.accounts.tasks.sessions_clear"


@shared_task(name=SESSIONS_CLEAR_TASK)
def sessions_clear_task() -> None:
    call_command("clearsessions")
