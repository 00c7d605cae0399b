"""Finding the coupon a buyer typed, and whether it may still be used."""

from __future__ import annotations

from django.utils import timezone

from courses.models import Coupon, Course, Order


class CouponError(Exception):
    """The coupon cannot be used; str(error) is safe to show to the buyer."""


def coupon_normalize(code: str) -> str:
    return (code or "").strip().upper()


def coupon_redemptions(*, coupon: Coupon) -> int:
    """Paid orders (refunded ones too: a refund does not hand the slot back) it discounted."""
    return coupon.orders.filter(
        status__in=[Order.Status.PAID, Order.Status.REFUNDED, Order.Status.DISPUTED]
    ).count()


def coupon_find_usable(*, course: Course, code: str, now=None) -> Coupon:
    """The active coupon for `course` with this code, within its dates and redemption limit."""
    now = now or timezone.now()
    normalized = coupon_normalize(code)
    if not normalized:
        raise CouponError("Enter a coupon code.")
    coupon = Coupon.objects.filter(course=course, code__iexact=normalized).first()
    if coupon is None or not coupon.is_active:
        raise CouponError(f"“{normalized}” is not a valid coupon for this course.")
    if coupon.valid_from and now < coupon.valid_from:
        raise CouponError(f"“{normalized}” is not valid yet.")
    if coupon.valid_until and now >= coupon.valid_until:
        raise CouponError(f"“{normalized}” has expired.")
    if coupon.max_redemptions is not None and (
        coupon_redemptions(coupon=coupon) >= coupon.max_redemptions
    ):
        raise CouponError(f"“{normalized}” has been used up.")
    return coupon
