"""Paying an order by card through Stripe: SetupIntent in the browser, PaymentIntent here.

The browser collects the card with Stripe.js `confirmCardSetup` (which also runs 3-D
Secure where the card asks for it); this module then charges the order's amount, computed
here, with a PaymentIntent created and confirmed server-side, and hands `requires_action`
back to Stripe.js. An order is paid only on a PaymentIntent the server retrieved or a
signed webhook: never on what the browser says.

Nothing is charged twice: the order row stays locked while a PaymentIntent is created,
an order that has one in flight reuses it, and the Idempotency-Key is per card entry (one
SetupIntent), so a retried request after a network failure returns the same PaymentIntent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from courses.commerce import gateway
from courses.commerce.gateway import PaymentDeclined
from courses.commerce.services.orders import (
    OPEN_STATUSES,
    OrderError,
    PaidPayment,
    order_amounts_refresh_locked,
    order_lock,
    order_mark_failed,
    order_mark_paid,
    order_revoke_locked,
)
from courses.models import Order


@dataclass(frozen=True)
class PaymentOutcome:
    status: str  # "paid", "requires_action", "processing" or "failed"
    message: str = ""
    client_secret: str = ""  # of the PaymentIntent, for Stripe.js when requires_action


def _customer_id(order: Order) -> str:
    """The buyer's Stripe customer: reused from their earlier orders, else created."""
    if order.stripe_customer_id:
        return order.stripe_customer_id
    earlier = (
        Order.objects.filter(user=order.user).exclude(stripe_customer_id="")
        .values_list("stripe_customer_id", flat=True).first()
    )  # fmt: skip
    user = order.user
    return earlier or gateway.customer_create(
        email=user.email, name=user.get_full_name() or user.get_username(), user_id=user.pk
    )


def order_payment_setup(*, order: Order) -> str:
    """A SetupIntent for the card form; returns its client secret."""
    if order.status not in OPEN_STATUSES:
        raise OrderError("This order cannot be paid any more.")
    if order.amount_minor == 0:
        raise OrderError("Nothing to pay: this order is free with its coupon.")
    customer_id = _customer_id(order)
    setup_intent = gateway.setup_intent_create(customer_id=customer_id, order_number=order.number)
    Order.objects.filter(pk=order.pk).update(
        stripe_customer_id=customer_id, stripe_setup_intent_id=setup_intent["id"]
    )
    return setup_intent["client_secret"]


def payment_verified(payment_intent) -> PaidPayment:
    """What counts of a PaymentIntent the server retrieved (or a signed event carried)."""
    charge = payment_intent.get("latest_charge") or ""
    charge_id = charge if isinstance(charge, str) else charge.get("id", "")
    method_id = payment_intent.get("payment_method") or ""
    brand, last4 = gateway.payment_method_card(method_id) if method_id else ("", "")
    return PaidPayment(
        payment_intent_id=payment_intent["id"],
        amount_minor=int(payment_intent["amount"]),
        currency=str(payment_intent["currency"]),
        charge_id=charge_id,
        card_brand=brand,
        card_last4=last4,
    )


def _outcome_of(order: Order, payment_intent) -> PaymentOutcome:
    status = payment_intent["status"]
    if status == "succeeded":
        order_mark_paid(order_id=order.pk, payment=payment_verified(payment_intent))
        return PaymentOutcome("paid")
    if status == "requires_action":
        return PaymentOutcome("requires_action", client_secret=payment_intent["client_secret"])
    if status == "processing":
        return PaymentOutcome("processing", "Your bank is processing the payment.")
    error = payment_intent.get("last_payment_error") or {}
    message = error.get("message") or "The payment did not go through."
    order_mark_failed(order_id=order.pk, message=message, payment_intent_id=payment_intent["id"])
    return PaymentOutcome("failed", message)


def order_payment_charge(*, order: Order, setup_intent_id: str) -> PaymentOutcome:
    """Charge the card the buyer just set up, for the order's amount as computed here."""
    with transaction.atomic():
        order = order_lock(order_id=order.pk)
        if order.status == Order.Status.PAID:
            return PaymentOutcome("paid")
        if order.status not in OPEN_STATUSES:
            raise OrderError("This order cannot be paid any more.")
        if order.stripe_payment_intent_id:
            # An attempt in flight (another tab, a retried request): never a second charge.
            current = gateway.payment_intent_retrieve(order.stripe_payment_intent_id)
            if current["status"] in ("succeeded", "requires_action", "processing"):
                return _outcome_of(order, current)
        setup_intent = gateway.setup_intent_retrieve(setup_intent_id)
        if (
            setup_intent["customer"] != order.stripe_customer_id
            or (setup_intent.get("metadata") or {}).get("order") != order.number
            or setup_intent["status"] != "succeeded"
            or not setup_intent.get("payment_method")
        ):
            raise OrderError("The card was not set up for this order; enter it again.")
        order_amounts_refresh_locked(order)
        if order.amount_minor == 0:
            raise OrderError("Nothing to pay: this order is free with its coupon.")
        try:
            payment_intent = gateway.payment_intent_create_confirmed(
                amount_minor=order.amount_minor,
                currency=order.currency,
                customer_id=order.stripe_customer_id,
                payment_method_id=setup_intent["payment_method"],
                order_number=order.number,
                idempotency_key=f"order-{order.number}-{setup_intent_id}",
            )
        except PaymentDeclined as declined:
            order_mark_failed(order_id=order.pk, message=str(declined))
            return PaymentOutcome("failed", str(declined))
        order.stripe_payment_intent_id = payment_intent["id"]
        order.save(update_fields=["stripe_payment_intent_id", "updated_at"])
        return _outcome_of(order, payment_intent)


def order_payment_confirm(*, order: Order) -> PaymentOutcome:
    """After Stripe.js finished (or on the return page): ask Stripe how the payment stands."""
    order = Order.objects.get(pk=order.pk)  # as it is now, not as the caller loaded it
    if order.status == Order.Status.PAID:
        return PaymentOutcome("paid")
    if not order.stripe_payment_intent_id:
        return PaymentOutcome("failed", order.failure_message or "No payment was made yet.")
    return _outcome_of(order, gateway.payment_intent_retrieve(order.stripe_payment_intent_id))


def order_complete_free(*, order: Order) -> Order:
    """An order a coupon made free: enrolls without a card (still an order, amount 0)."""
    with transaction.atomic():
        locked = order_lock(order_id=order.pk)
        if locked.status in OPEN_STATUSES:
            order_amounts_refresh_locked(locked)
        order, _ = order_mark_paid(order_id=locked.pk, payment=None)
    return order


def order_refund(*, order: Order, reason: str) -> Order:
    """Staff refund: Stripe refunds the charge, the order is refunded and the seat revoked.

    One transaction with the order locked: if Stripe refuses, nothing changes here; the
    Idempotency-Key makes a retried refund a no-op on Stripe's side.
    """
    with transaction.atomic():
        order = order_lock(order_id=order.pk)
        if order.status != Order.Status.PAID:
            raise OrderError(f"Order {order.number} is {order.get_status_display().lower()}.")
        if order.amount_minor > 0 and order.stripe_payment_intent_id:
            refund = gateway.refund_create(
                payment_intent_id=order.stripe_payment_intent_id, order_number=order.number
            )
            order.stripe_refund_id = refund["id"]
            order.save(update_fields=["stripe_refund_id"])
        order_revoke_locked(order, status=Order.Status.REFUNDED, reason=reason or "Refunded")
        return order
