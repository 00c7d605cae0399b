"""Selling a course: orders paid through Stripe, coupons, single-use codes, Stripe events.

Amounts are integer minor units in the order's currency (courses.commerce.prices formats
them). An order only moves forward (ORDER_TRANSITIONS); courses.commerce.orders is the one
place that moves it, with the row locked.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from courses.models.catalog import Course


class Coupon(models.Model):
    """A discount on one course: a percentage or an amount off, for a while, a number of times."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="coupons")
    code = models.CharField(max_length=40, help_text="What buyers type; case does not matter.")
    percent_off = models.PositiveSmallIntegerField(null=True, blank=True)
    amount_off_minor = models.PositiveIntegerField(
        null=True, blank=True, help_text="In the course's currency, in minor units (cents)."
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(
        null=True, blank=True, help_text="Paid orders it may discount; empty for no limit."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "code"]
        constraints = [
            models.UniqueConstraint(Upper("code"), "course", name="coupon_unique_code_per_course"),
            models.CheckConstraint(
                condition=(
                    Q(percent_off__isnull=False, amount_off_minor__isnull=True)
                    | Q(percent_off__isnull=True, amount_off_minor__isnull=False)
                ),
                name="coupon_percent_xor_amount",
            ),
            models.CheckConstraint(
                condition=Q(percent_off__isnull=True) | Q(percent_off__gte=1, percent_off__lte=100),
                name="coupon_percent_1_to_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.course})"


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting payment"
        PAID = "paid", "Paid"
        FAILED = "failed", "Payment failed"
        CANCELED = "canceled", "Canceled"
        REFUNDED = "refunded", "Refunded"
        DISPUTED = "disputed", "Disputed (access revoked)"

    number = models.CharField(max_length=20, unique=True, editable=False)
    # Set when the order is created, from what the server knows: never from the client.
    # PROTECT: an order is an accounting record; deleting its buyer or course must not erase it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    currency = models.CharField(max_length=3)
    list_price_minor = models.PositiveIntegerField()
    discount_minor = models.PositiveIntegerField(default=0)
    amount_minor = models.PositiveIntegerField(
        help_text="What the buyer pays: list price − discount."
    )
    coupon = models.ForeignKey(
        Coupon, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    coupon_code = models.CharField(max_length=40, blank=True)  # as applied, if the coupon goes
    disputed_at = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_setup_intent_id = models.CharField(max_length=255, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    refund_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    refund_notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Two tabs, a double click or a reloaded page give one open order per buyer.
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=Q(status__in=["pending", "paid"]),
                name="order_one_open_per_user_course",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor=models.F("list_price_minor") - models.F("discount_minor")),
                name="order_amount_is_price_minus_discount",
            ),
        ]
        permissions = [("refund_order", "Can refund an order")]

    def __str__(self) -> str:
        return f"Order {self.number}"


# Where each state may go; nothing goes back to pending, and refunded is final.
ORDER_TRANSITIONS = {
    Order.Status.PENDING: {Order.Status.PAID, Order.Status.FAILED, Order.Status.CANCELED},
    Order.Status.FAILED: {Order.Status.PAID, Order.Status.CANCELED},
    Order.Status.PAID: {Order.Status.REFUNDED, Order.Status.DISPUTED},
    Order.Status.DISPUTED: {Order.Status.REFUNDED},
    Order.Status.CANCELED: set(),
    Order.Status.REFUNDED: set(),
}


class StripeEvent(models.Model):
    """Every webhook event, stored once by its id: Stripe delivers at least once, in any order."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="stripe_events"
    )
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class AccessCode(models.Model):
    """A single-use code: enrolls one account in its course, once (gifts, cohorts, DVD owners)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="access_codes")
    code = models.CharField(max_length=32, unique=True)  # normalized: upper case, no dashes
    batch = models.CharField(max_length=100, blank=True, help_text="e.g. 'Spring workshop 2027'")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="redeemed_access_codes",
    )
    redeemed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "code"]

    def __str__(self) -> str:
        return self.code
