"""Receipts and refund notices reach a real SMTP server (aiosmtpd) on loopback."""

import time

import pytest
from django.core.checks import run_checks
from django.urls import reverse

from courses.commerce.services.emails import order_email_send
from courses.commerce.services.payments import order_payment_charge, order_refund
from courses.models import Enrollment
from tests.courses.commerce.conftest import CARD_3DS, payment_authenticate


@pytest.mark.django_db
def test_a_receipt_is_html_and_text_and_sent_once(smtp_server, order, card_ready, settings):
    settings.SITE_URL = "https://courses.example.org"
    order_payment_charge(order=order, setup_intent_id=card_ready())
    assert order_email_send(order_id=order.pk, kind="receipt") is True
    assert order_email_send(order_id=order.pk, kind="receipt") is False
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "buyer@example.org" and order.number in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert order.number in body and "$149.00" in body and "4242" in body
    assert "https://courses.example.org/orders/" in text
    order.refresh_from_db()
    assert order.receipt_sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_webhook_enrolls_and_the_worker_mails_receipt_and_refund_notice(
    stripe_webhooks, smtp_server, celery_worker_factory, order, card_ready, buyer
):
    """The buyer pays, closes the tab; localstripe's webhook enrolls, a real Celery worker
    sends the receipt; a refund later sends the notice. One of each, however often asked."""
    celery_worker_factory(EMAIL_URL=smtp_server.url, SITE_URL=stripe_webhooks.url)
    outcome = order_payment_charge(order=order, setup_intent_id=card_ready(CARD_3DS))
    payment_authenticate(outcome.client_secret, success=True)
    (receipt,) = smtp_server.wait_for(1, timeout=60)
    assert "receipt" in receipt["Subject"].lower()
    assert Enrollment.objects.filter(user=buyer).exists()
    order_refund(order=order, reason="test")
    messages = smtp_server.wait_for(2, timeout=60)
    assert "refunded" in messages[1]["Subject"]
    assert "has been refunded" in messages[1].get_body(("plain",)).get_content()
    time.sleep(2)  # a late duplicate would have arrived by now
    assert len(smtp_server.messages) == 2


@pytest.mark.django_db
def test_the_orders_page_lists_receipts(client, order, card_ready, buyer):
    order_payment_charge(order=order, setup_intent_id=card_ready())
    client.force_login(buyer)
    html = client.get(reverse("commerce:orders")).content.decode()
    assert order.number in html and "$149.00" in html and "ending 4242" in html
    receipt = client.get(reverse("commerce:receipt", args=[order.number])).content.decode()
    assert "Total paid" in receipt and "$149.00" in receipt


@pytest.mark.django_db
def test_production_refuses_to_start_selling_without_stripe_keys(course, settings):
    settings.STRIPE_KEYS_REQUIRED = True
    settings.STRIPE_WEBHOOK_SECRET = ""
    errors = [e for e in run_checks() if e.id == "commerce.E001"]
    assert errors and "STRIPE_WEBHOOK_SECRET" in errors[0].msg
    settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = "x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    assert not [e for e in run_checks() if e.id == "commerce.E001"]
    course.price_minor = None
    course.save(update_fields=["price_minor"])
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert not [e for e in run_checks() if e.id == "commerce.E001"]


@pytest.mark.django_db
def test_unsent_receipts_are_queued_again_by_the_sweeper(order, card_ready, settings):
    from datetime import timedelta

    from django.utils import timezone

    from courses.commerce.services.emails import receipts_unsent_send
    from courses.models import Order

    assert "courses.commerce.tasks.receipts_unsent_send" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    order_payment_charge(order=order, setup_intent_id=card_ready())
    assert receipts_unsent_send() == 0  # just paid: its own task may still be on the way
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(minutes=10))
    assert receipts_unsent_send() == 1
    Order.objects.filter(pk=order.pk).update(receipt_sent_at=timezone.now())
    assert receipts_unsent_send() == 0
