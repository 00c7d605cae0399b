"""The Stripe webhook: signed, stored once, processed once; localstripe delivers for real."""

import time

import pytest
from django.urls import reverse

from courses.commerce.services.payments import order_payment_charge, order_payment_confirm
from courses.models import Enrollment, StripeEvent
from tests.courses.commerce.conftest import (
    CARD_3DS,
    event_of,
    localstripe_get,
    payment_authenticate,
    signed_event,
)

WEBHOOK = "/payments/stripe/webhook/"


def post_event(client, event: dict, secret: str | None = None):
    payload, signature = signed_event(event, secret)
    return client.post(
        WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def wait_until(check, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_the_buyer_closes_the_tab_and_localstripes_webhook_enrolls(
    stripe_webhooks, order, card_ready, buyer, course
):
    assert reverse("commerce:stripe_webhook") == WEBHOOK
    outcome = order_payment_charge(order=order, setup_intent_id=card_ready(CARD_3DS))
    # Stripe.js authenticates, then the tab is closed: nobody calls the confirm endpoint.
    payment_authenticate(outcome.client_secret, success=True)
    assert wait_until(lambda: Enrollment.objects.filter(user=buyer, course=course).exists())
    order.refresh_from_db()
    assert order.status == "paid"
    event = StripeEvent.objects.get(type="payment_intent.succeeded", order=order)
    assert event.outcome == "paid"
    # The return page, reloaded later, changes nothing.
    assert order_payment_confirm(order=order).status == "paid"
    assert Enrollment.objects.filter(user=buyer).count() == 1


@pytest.mark.django_db
def test_a_replayed_webhook_changes_nothing(client, order, card_ready, buyer):
    order_payment_charge(order=order, setup_intent_id=card_ready())
    order.refresh_from_db()
    payment_intent = localstripe_get(f"/v1/payment_intents/{order.stripe_payment_intent_id}")
    event = event_of("payment_intent.succeeded", payment_intent, event_id="evt_replayed")
    first, second = post_event(client, event), post_event(client, event)
    assert first.status_code == second.status_code == 200
    assert first.content == b"already paid" and second.content == b"duplicate"
    assert StripeEvent.objects.filter(event_id="evt_replayed").count() == 1
    assert Enrollment.objects.filter(user=buyer).count() == 1


@pytest.mark.django_db
def test_a_webhook_first_then_the_return_page(client, order, card_ready, buyer):
    outcome = order_payment_charge(order=order, setup_intent_id=card_ready(CARD_3DS))
    paid = payment_authenticate(outcome.client_secret, success=True)
    assert post_event(client, event_of("payment_intent.succeeded", paid)).content == b"paid"
    client.force_login(buyer)
    response = client.get(reverse("commerce:order_complete", args=[order.number]))
    assert response.status_code == 302 and "/lessons/" in response.url
    order.refresh_from_db()
    assert order.status == "paid" and Enrollment.objects.filter(user=buyer).count() == 1


@pytest.mark.django_db
def test_a_bad_signature_is_refused_and_changes_nothing(client, order, card_ready, buyer):
    outcome = order_payment_charge(order=order, setup_intent_id=card_ready(CARD_3DS))
    paid = payment_authenticate(outcome.client_secret, success=True)
    event = event_of("payment_intent.succeeded", paid)
    assert post_event(client, event, secret="whsec_not_ours").status_code == 400
    unsigned = client.post(WEBHOOK, b"{}", content_type="application/json")
    assert unsigned.status_code == 400
    tampered = client.post(
        WEBHOOK,
        signed_event(event)[0].replace(b"14900", b"100"),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signed_event(event)[1],
    )
    assert tampered.status_code == 400
    order.refresh_from_db()
    assert order.status == "pending" and not StripeEvent.objects.exists()
    assert not Enrollment.objects.filter(user=buyer).exists()


@pytest.mark.django_db
def test_a_late_failure_event_does_not_undo_a_payment(client, order, card_ready):
    order_payment_charge(order=order, setup_intent_id=card_ready())
    order.refresh_from_db()
    failed = {
        "id": order.stripe_payment_intent_id,
        "object": "payment_intent",
        "last_payment_error": {"message": "late"},
        "metadata": {"order": order.number},
    }
    post_event(client, event_of("payment_intent.payment_failed", failed))
    order.refresh_from_db()
    assert order.status == "paid"


@pytest.mark.django_db
def test_a_payment_of_another_amount_does_not_enroll(client, order, buyer):
    forged = {
        "id": "pi_forged",
        "object": "payment_intent",
        "amount": 100,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"order": order.number},
    }
    response = post_event(client, event_of("payment_intent.succeeded", forged))
    assert response.status_code == 200  # acknowledged (not retryable), logged, not applied
    order.refresh_from_db()
    assert order.status == "pending" and not Enrollment.objects.filter(user=buyer).exists()
