"""An order's life: opened at "Buy", a coupon applied, paid, then perhaps refunded or disputed.

The one place an order changes state. Every change locks the order row and follows
ORDER_TRANSITIONS, so a replayed webhook, a reloaded return page or two tabs racing each
other give one order, one enrollment and one receipt: whoever comes second finds the
order already where it wanted it and does nothing.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.commerce.prices import coupon_discount_minor
from courses.commerce.services.coupons import CouponError, coupon_find_usable
from courses.commerce.services.emails import order_email_enqueue
from courses.enrollment.services import enrollment_create, enrollment_delete
from courses.models import ORDER_TRANSITIONS, Course, Enrollment, Order

logger = logging.getLogger(__name__)

NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud on the phone
OPEN_STATUSES = (Order.Status.PENDING, Order.Status.FAILED)  # may still be paid


class OrderError(Exception):
    """The order cannot do that; str(error) is safe to show."""


@dataclass(frozen=True)
class PaidPayment:
    """What the server verified about a payment before it counts (never what a client sent)."""

    payment_intent_id: str
    amount_minor: int
    currency: str
    charge_id: str = ""
    card_brand: str = ""
    card_last4: str = ""


def order_number_new() -> str:
    body = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"ORD-{body[:4]}-{body[4:]}"


def _transition(order: Order, status: str) -> None:
    if status not in ORDER_TRANSITIONS[order.status]:
        raise OrderError(f"Order {order.number} is {order.get_status_display().lower()}.")
    order.status = status


def order_lock(*, order_id: int) -> Order:
    """The order row, locked until the surrounding transaction ends."""
    return Order.objects.select_for_update().select_related("course", "user").get(pk=order_id)


def order_open(*, user, course: Course) -> Order:
    """The buyer's order for `course` that can still be paid (or is paid), else a new one."""
    if course.is_free:
        raise OrderError("This course is free: enroll from its page.")
    existing = (
        Order.objects.filter(user=user, course=course)
        .filter(status__in=[*OPEN_STATUSES, Order.Status.PAID])
        .order_by("-created_at")
        .first()
    )
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Order.objects.create(
                number=order_number_new(),
                user=user,
                course=course,
                currency=course.currency,
                list_price_minor=course.price_minor,
                amount_minor=course.price_minor,
            )
    except IntegrityError:
        # Another tab opened it a moment ago (one open order per buyer and course).
        return Order.objects.get(
            user=user, course=course, status__in=[Order.Status.PENDING, Order.Status.PAID]
        )


def _amounts_refresh(order: Order) -> None:
    """Price and discount from the course and coupon as they are now, never from a client."""
    order.currency = order.course.currency
    order.list_price_minor = order.course.price_minor or 0
    if order.coupon is not None:
        order.discount_minor = coupon_discount_minor(
            price_minor=order.list_price_minor,
            percent_off=order.coupon.percent_off,
            amount_off_minor=order.coupon.amount_off_minor,
        )
    else:
        order.discount_minor = 0
    order.amount_minor = order.list_price_minor - order.discount_minor


AMOUNT_FIELDS = ["currency", "list_price_minor", "discount_minor", "amount_minor", "coupon",
                 "coupon_code", "updated_at"]  # fmt: skip


@transaction.atomic
def order_coupon_apply(*, order: Order, code: str) -> Order:
    order = order_lock(order_id=order.pk)
    if order.status not in OPEN_STATUSES:
        raise OrderError("This order is no longer open; coupons cannot be changed.")
    order.coupon = coupon_find_usable(course=order.course, code=code)
    order.coupon_code = order.coupon.code.upper()
    _amounts_refresh(order)
    order.save(update_fields=AMOUNT_FIELDS)
    return order


@transaction.atomic
def order_coupon_remove(*, order: Order) -> Order:
    order = order_lock(order_id=order.pk)
    if order.status in OPEN_STATUSES:
        order.coupon, order.coupon_code = None, ""
        _amounts_refresh(order)
        order.save(update_fields=AMOUNT_FIELDS)
    return order


def order_amounts_refresh_locked(order: Order) -> None:
    """Before charging (order locked): recompute, and drop a coupon that no longer applies."""
    if order.coupon is not None:
        try:
            coupon_find_usable(course=order.course, code=order.coupon.code)
        except CouponError:
            order.coupon, order.coupon_code = None, ""
    _amounts_refresh(order)
    order.save(update_fields=AMOUNT_FIELDS)


def order_mark_paid(*, order_id: int, payment: PaidPayment | None) -> tuple[Order, bool]:
    """Record a verified payment and enroll the buyer; (order, changed). Idempotent.

    `payment` None is only for an order whose total is zero (a 100 % coupon).
    """
    with transaction.atomic():
        order = order_lock(order_id=order_id)
        if order.status in (Order.Status.PAID, Order.Status.REFUNDED, Order.Status.DISPUTED):
            if payment and order.stripe_payment_intent_id != payment.payment_intent_id:
                logger.error(
                    "order %s: a second payment %s succeeded for an order already %s",
                    order.number, payment.payment_intent_id, order.status,
                )  # fmt: skip
            return order, False
        if payment is None:
            if order.amount_minor != 0:
                raise OrderError("This order has an amount to pay.")
        elif (payment.amount_minor, payment.currency.upper()) != (
            order.amount_minor,
            order.currency.upper(),
        ):
            # Not this order's price: never enroll on it. Staff see it in the log.
            logger.error(
                "order %s: payment %s is %s %s, the order is %s %s",
                order.number, payment.payment_intent_id, payment.amount_minor,
                payment.currency, order.amount_minor, order.currency,
            )  # fmt: skip
            raise OrderError("The payment does not match this order.")
        _transition(order, Order.Status.PAID)
        order.paid_at = timezone.now()
        order.failure_message = ""
        fields = ["status", "paid_at", "failure_message", "updated_at"]
        if payment is not None:
            order.stripe_payment_intent_id = payment.payment_intent_id
            order.stripe_charge_id = payment.charge_id
            order.card_brand, order.card_last4 = payment.card_brand, payment.card_last4
            fields += ["stripe_payment_intent_id", "stripe_charge_id", "card_brand", "card_last4"]
        order.save(update_fields=fields)
        enrollment_create(
            user=order.user,
            course=order.course,
            check_access_code=False,
            source=Enrollment.Source.PURCHASE,
        )
        order_email_enqueue(order=order, kind="receipt")
        logger.info("order %s paid (%s %s)", order.number, order.amount_minor, order.currency)
        return order, True


def order_mark_failed(*, order_id: int, message: str, payment_intent_id: str = "") -> Order:
    """A payment attempt failed: the order stays payable with another card."""
    with transaction.atomic():
        order = order_lock(order_id=order_id)
        if payment_intent_id and order.stripe_payment_intent_id not in ("", payment_intent_id):
            return order  # an older attempt's late news
        if order.status in OPEN_STATUSES:
            order.status = Order.Status.FAILED
            order.failure_message = message[:500]
            order.save(update_fields=["status", "failure_message", "updated_at"])
        return order


def order_revoke_locked(order: Order, *, status: str, reason: str) -> None:
    """Refunded or disputed (order locked): take the seat back and tell the learner."""
    _transition(order, status)
    now = timezone.now()
    fields = ["status", "refund_reason", "updated_at"]
    order.refund_reason = reason[:500]
    if status == Order.Status.REFUNDED:
        order.refunded_at = now
        fields.append("refunded_at")
    else:
        order.disputed_at = now
        fields.append("disputed_at")
    order.save(update_fields=fields)
    # Only the seat this order bought: a comp or a code the learner also has stays.
    enrollment_delete(user=order.user, course=order.course, source=Enrollment.Source.PURCHASE)
    order_email_enqueue(order=order, kind="refund")
    logger.info("order %s %s: %s", order.number, status, reason)
