"""The one module that talks to Stripe (or localstripe, which speaks the same API).

Only calls that both real Stripe and localstripe implement: Customers, SetupIntents,
PaymentIntents created with `confirm=true`, Refunds and signed webhook events. Errors
come back as PaymentDeclined (the card's reason, safe to show to the buyer) or
PaymentProviderUnavailable (Stripe down or misconfigured: nothing happened, try again).
"""

from __future__ import annotations

import logging
import urllib.parse
import urllib.request
from functools import cache

import stripe
from django.conf import settings

logger = logging.getLogger(__name__)


class PaymentDeclined(Exception):
    """The card or the bank said no; str(error) is Stripe's message for the buyer."""


class PaymentProviderUnavailable(Exception):
    """Stripe could not be reached or refused our credentials; safe to retry."""


class WebhookSignatureInvalid(Exception):
    pass


@cache
def _client(api_key: str, api_base: str, timeout_s: float) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        http_client=stripe.RequestsClient(timeout=timeout_s),
        # Retries reuse the Idempotency-Key we pass, so real Stripe never charges twice.
        max_network_retries=1,
    )


def client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise PaymentProviderUnavailable("Payments are not configured (STRIPE_SECRET_KEY).")
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.STRIPE_TIMEOUT_S)


def _call(what: str, function, *args, **kwargs) -> dict:
    """Run one SDK call; its answer as plain data (like a webhook's), its errors mapped onto
    the two this platform distinguishes."""
    try:
        return function(*args, **kwargs).to_dict()
    except stripe.CardError as error:
        raise PaymentDeclined(error.user_message or "Your card was declined.") from error
    except (stripe.APIConnectionError, stripe.AuthenticationError, stripe.RateLimitError) as error:
        logger.warning("stripe: %s failed: %s", what, error)
        raise PaymentProviderUnavailable(
            "The payment service cannot be reached right now. Nothing was charged; "
            "please try again in a minute."
        ) from error
    except stripe.StripeError as error:
        logger.error("stripe: %s refused: %s", what, error)
        if error.http_status and error.http_status >= 500:
            raise PaymentProviderUnavailable(
                "The payment service had a problem. Nothing was charged; please try again."
            ) from error
        raise


def customer_create(*, email: str, name: str, user_id: int) -> str:
    customer = _call(
        "customer create",
        client().v1.customers.create,
        params={"email": email, "name": name, "metadata": {"user_id": str(user_id)}},
        options={"idempotency_key": f"customer-user-{user_id}"},
    )
    return customer["id"]


def setup_intent_create(*, customer_id: str, order_number: str) -> dict:
    """A SetupIntent collects the card in the browser (Stripe.js confirmCardSetup)."""
    return _call(
        "setup intent create",
        client().v1.setup_intents.create,
        params={
            "customer": customer_id,
            "payment_method_types": ["card"],
            "usage": "on_session",
            "metadata": {"order": order_number},
        },
    )


def setup_intent_retrieve(setup_intent_id: str) -> dict:
    return _call("setup intent retrieve", client().v1.setup_intents.retrieve, setup_intent_id)


def payment_intent_create_confirmed(
    *,
    amount_minor: int,
    currency: str,
    customer_id: str,
    payment_method_id: str,
    order_number: str,
    idempotency_key: str,
) -> dict:
    """Charge the card now; status succeeded, requires_action (3-D Secure) or an error."""
    return _call(
        "payment intent create",
        client().v1.payment_intents.create,
        params={
            "amount": amount_minor,
            "currency": currency.lower(),
            "customer": customer_id,
            "payment_method": payment_method_id,
            "payment_method_types": ["card"],
            "confirm": True,
            "metadata": {"order": order_number},
        },
        options={"idempotency_key": idempotency_key},
    )


def payment_intent_retrieve(payment_intent_id: str) -> dict:
    return _call("payment intent retrieve", client().v1.payment_intents.retrieve, payment_intent_id)


def payment_method_card(payment_method_id: str) -> tuple[str, str]:
    """(brand, last four) of a card, for receipts; empty strings if Stripe will not say."""
    try:
        method = _call(
            "payment method retrieve", client().v1.payment_methods.retrieve, payment_method_id
        )
    except (PaymentProviderUnavailable, stripe.StripeError):
        return "", ""
    card = method.get("card") or {}
    return str(card.get("brand") or ""), str(card.get("last4") or "")


def refund_create(*, payment_intent_id: str, order_number: str) -> dict:
    return _call(
        "refund create",
        client().v1.refunds.create,
        params={"payment_intent": payment_intent_id, "metadata": {"order": order_number}},
        options={"idempotency_key": f"refund-{order_number}"},
    )


def webhook_event_verify(*, payload: bytes, signature_header: str) -> None:
    """Raise WebhookSignatureInvalid unless Stripe-Signature is valid and recent."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise WebhookSignatureInvalid("STRIPE_WEBHOOK_SECRET is not set")
    try:
        stripe.Webhook.construct_event(
            payload, signature_header, settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_S,
        )  # fmt: skip
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise WebhookSignatureInvalid(str(error)) from error


def local_stripe() -> bool:
    """True when STRIPE_API_BASE points at a localstripe on this machine."""
    host = urllib.parse.urlsplit(settings.STRIPE_API_BASE or "").hostname
    return host in ("127.0.0.1", "localhost", "::1")


def local_webhook_register(*, url: str, endpoint_id: str = "platform") -> None:
    """localstripe only (`make run`, tests): deliver events to `url`, signed with our secret.

    Real Stripe is configured in its dashboard instead (README: Selling the course).
    """
    body = urllib.parse.urlencode({"url": url, "secret": settings.STRIPE_WEBHOOK_SECRET}).encode()
    request = urllib.request.Request(
        f"{settings.STRIPE_API_BASE.rstrip('/')}/_config/webhooks/{endpoint_id}",
        data=body,
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
