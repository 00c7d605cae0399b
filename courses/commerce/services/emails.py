"""Receipts and refund notices: HTML and plain text, sent once per order by a Celery task."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from courses.commerce.prices import money_label
from courses.models import Order
from courses.queue import task_send, task_send_on_commit

logger = logging.getLogger(__name__)

ORDER_EMAIL_TASK = "courses.commerce.tasks.order_email_send"
KINDS = {
    # kind: (template base name, the field that records it was sent, subject)
    "receipt": ("receipt", "receipt_sent_at", "Your receipt for {course} (order {number})"),
    "refund": ("refund", "refund_notice_sent_at", "Your order {number} was refunded"),
}


def order_email_enqueue(*, order: Order, kind: str) -> None:
    """Queue the mail once the surrounding transaction has committed (by task name)."""
    if kind not in KINDS:
        raise ValueError(kind)
    task_send_on_commit(ORDER_EMAIL_TASK, [order.pk, kind])


def order_email_send(*, order_id: int, kind: str, site_url: str | None = None) -> bool:
    """Send the receipt or refund notice unless it went already; True if it was sent now."""
    template, sent_field, subject = KINDS[kind]
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("course", "user").get(pk=order_id)
        if getattr(order, sent_field) is not None:
            return False
        if kind == "refund" and order.status not in (Order.Status.REFUNDED, Order.Status.DISPUTED):
            return False
        if not order.user.email:
            logger.warning("order %s: %s not sent, the buyer has no e-mail", order.number, kind)
            return False
        context = {
            "order": order,
            "user": order.user,
            "course": order.course,
            "site_url": (site_url or settings.SITE_URL).rstrip("/"),
            "list_price": money_label(order.list_price_minor, order.currency),
            "discount": money_label(order.discount_minor, order.currency),
            "amount": money_label(order.amount_minor, order.currency),
        }
        message = EmailMultiAlternatives(
            subject=subject.format(course=order.course.title, number=order.number),
            body=render_to_string(f"emails/{template}.txt", context),
            to=[order.user.email],
        )
        message.attach_alternative(
            render_to_string(f"emails/{template}.html", context), "text/html"
        )
        # Sent inside the lock: a second task for the same order waits here and then sees
        # the stamp. A failed send raises, the stamp rolls back and the task retries.
        message.send()
        setattr(order, sent_field, timezone.now())
        order.save(update_fields=[sent_field])
        return True


def receipts_unsent_send(*, older_than_s: int = 300) -> int:
    """Queue receipts and refund notices that never went (a broker or SMTP outage): the
    sweeper Celery beat runs; order_email_send's stamp keeps it to one mail each."""
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    queued = 0
    pending = {
        "receipt": Order.objects.filter(paid_at__lt=cutoff, receipt_sent_at__isnull=True)
        .exclude(user__email=""),
        "refund": Order.objects.filter(
            refunded_at__lt=cutoff, refund_notice_sent_at__isnull=True,
            status=Order.Status.REFUNDED,
        ).exclude(user__email=""),
    }  # fmt: skip
    for kind, orders in pending.items():
        for order_id in orders.values_list("pk", flat=True)[:500]:
            queued += task_send(ORDER_EMAIL_TASK, [order_id, kind])
    return queued
