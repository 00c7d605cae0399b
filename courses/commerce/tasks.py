"""Celery entry points of commerce: thin, the work is in services."""

from celery import shared_task

from courses.commerce.services.emails import (
    ORDER_EMAIL_TASK,
    order_email_send,
    receipts_unsent_send,
)


@shared_task(
    name=ORDER_EMAIL_TASK,
    autoretry_for=(OSError,),  # SMTP down: smtplib errors are OSErrors
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=12,
)
def order_email_send_task(order_id: int, kind: str) -> bool:
    return order_email_send(order_id=order_id, kind=kind)


@shared_task(name="courses.commerce.tasks.receipts_unsent_send")
def receipts_unsent_send_task() -> int:
    return receipts_unsent_send()
