"""Commerce fixtures: a buyer, the priced course, and the browser's part of paying
(what Stripe.js does against localstripe), over real HTTP."""

import hashlib
import hmac
import json
import time
import urllib.request

import pytest
from django.conf import settings

from courses.commerce.services.orders import order_open
from courses.commerce.services.payments import order_payment_setup
from courses.models import Coupon

CARD_OK = "4242424242424242"
CARD_3DS = "4000002500003155"
CARD_DECLINED_AT_CHARGE = "4000000000000341"


def localstripe_post(path: str, body: dict) -> dict:
    """A call as Stripe.js makes it: JSON body with the publishable key."""
    request = urllib.request.Request(
        f"{settings.STRIPE_API_BASE}{path}",
        data=json.dumps({"key": settings.STRIPE_PUBLISHABLE_KEY, **body}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def localstripe_get(path: str) -> dict:
    request = urllib.request.Request(
        f"{settings.STRIPE_API_BASE}{path}",
        headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def card_set_up(client_secret: str, number: str = CARD_OK, authenticate: bool = True) -> str:
    """confirmCardSetup: the card onto the SetupIntent (3-D Secure completed if asked)."""
    setup_intent_id = client_secret.split("_secret_")[0]
    path = f"/v1/setup_intents/{setup_intent_id}/confirm"
    card = {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"}
    result = localstripe_post(
        path,
        {"client_secret": client_secret, "use_stripe_sdk": True,
         "payment_method_data": {"type": "card", "card": card}},
    )  # fmt: skip
    if result["status"] == "requires_action" and authenticate:
        result = localstripe_post(path, {"client_secret": client_secret, "use_stripe_sdk": True})
    return result["id"]


def payment_authenticate(client_secret: str, success: bool = True) -> dict:
    """confirmCardPayment on a PaymentIntent that requires_action (localstripe's dialog)."""
    payment_intent_id = client_secret.split("_secret_")[0]
    path = f"/v1/payment_intents/{payment_intent_id}/_authenticate?success={str(success).lower()}"
    return localstripe_post(path, {"client_secret": client_secret})


def signed_event(event: dict, secret: str | None = None) -> tuple[bytes, str]:
    """A webhook body and Stripe-Signature header, signed as Stripe (and localstripe) do."""
    payload = json.dumps(event).encode()
    timestamp = int(time.time())
    signature = hmac.new(
        (secret or settings.STRIPE_WEBHOOK_SECRET).encode(),
        f"{timestamp}.".encode() + payload,
        hashlib.sha256,
    ).hexdigest()
    return payload, f"t={timestamp},v1={signature}"


def event_of(event_type: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_test_{time.monotonic_ns()}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": obj},
    }


@pytest.fixture
def buyer(make_user):
    return make_user("buyer", email="buyer@example.org")


@pytest.fixture
def order(localstripe, buyer, course):
    return order_open(user=buyer, course=course)


@pytest.fixture
def card_ready(order):
    """A SetupIntent for `order` with a good card on it: (order, setup_intent_id)."""

    def ready(number: str = CARD_OK, authenticate: bool = True):
        secret = order_payment_setup(order=order)
        return card_set_up(secret, number, authenticate)

    return ready


@pytest.fixture
def coupon(course):
    return Coupon.objects.create(course=course, code="SPRING20", percent_off=20)
