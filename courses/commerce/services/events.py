"""Stripe webhook events: verified, stored once by id, processed once, in any order.

Stripe delivers at least once and out of order. Each event is inserted under a unique
event id in the same transaction that acts on it: a duplicate finds the row and stops; a
failure rolls both back so that Stripe's retry processes it again. Acting on an event
goes through the order state machine, so late or replayed news changes nothing.
"""

from __future__ import annotations

import json
import logging

from django.db import IntegrityError, transaction

from courses.commerce import gateway
from courses.commerce.services.orders import (
    order_lock,
    order_mark_failed,
    order_mark_paid,
    order_revoke_locked,
)
from courses.commerce.services.payments import payment_verified
from courses.models import ORDER_TRANSITIONS, Order, StripeEvent

logger = logging.getLogger(__name__)


def _order_for(obj: dict) -> Order | None:
    """The order an event's object belongs to: by PaymentIntent, charge, or our metadata."""
    payment_intent = obj.get("payment_intent") if obj.get("object") != "payment_intent" else None
    ids = {
        "stripe_payment_intent_id": obj["id"] if obj.get("object") == "payment_intent" else None,
        "stripe_charge_id": obj["id"] if obj.get("object") == "charge" else obj.get("charge"),
    }
    if isinstance(payment_intent, str):
        ids["stripe_payment_intent_id"] = payment_intent
    for field, value in ids.items():
        if isinstance(value, str) and value:
            order = Order.objects.filter(**{field: value}).first()
            if order is not None:
                return order
    number = (obj.get("metadata") or {}).get("order")
    return Order.objects.filter(number=number).first() if number else None


def _payment_intent_succeeded(obj: dict, order: Order) -> str:
    _, changed = order_mark_paid(order_id=order.pk, payment=payment_verified(obj))
    return "paid" if changed else "already paid"


def _payment_intent_failed(obj: dict, order: Order) -> str:
    message = (obj.get("last_payment_error") or {}).get("message") or "The payment failed."
    order_mark_failed(order_id=order.pk, message=message, payment_intent_id=obj["id"])
    return "payment failed"


def _revoke(status: str, reason: str):
    def handle(obj: dict, order: Order) -> str:
        order = order_lock(order_id=order.pk)
        if status not in ORDER_TRANSITIONS[order.status]:
            return f"nothing to do (order {order.status})"
        order_revoke_locked(order, status=status, reason=reason)
        return status

    return handle


HANDLERS = {
    "payment_intent.succeeded": _payment_intent_succeeded,
    "payment_intent.payment_failed": _payment_intent_failed,
    "charge.refunded": _revoke(Order.Status.REFUNDED, "Refunded in the Stripe dashboard"),
    "charge.dispute.created": _revoke(Order.Status.DISPUTED, "The buyer disputed the payment"),
}


def stripe_webhook_receive(*, payload: bytes, signature_header: str) -> str:
    """Verify, store and process one delivery; returns what happened (for the log).

    Raises gateway.WebhookSignatureInvalid for a bad signature (the view answers 400).
    """
    gateway.webhook_event_verify(payload=payload, signature_header=signature_header)
    data = json.loads(payload)
    event_id, event_type, obj = data["id"], data["type"], data["data"]["object"]
    handler = HANDLERS.get(event_type)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: only the duplicate insert rolls back
                record = StripeEvent.objects.create(event_id=event_id, type=event_type, payload=obj)
        except IntegrityError:
            # Processed already, or being processed by a concurrent delivery right now
            # (the insert waited for it to commit).
            return "duplicate"
        order = _order_for(obj) if handler else None
        if handler is None:
            outcome = "ignored"
        elif order is None:
            outcome = "no matching order"
        elif event_type == "charge.refunded" and not obj.get("refunded", True):
            outcome = "partial refund: access kept"
        else:
            outcome = handler(obj, order)
        record.order, record.outcome = order, outcome
        record.save(update_fields=["order", "outcome"])
    logger.info("stripe event %s %s: %s", event_type, event_id, outcome)
    return outcome
