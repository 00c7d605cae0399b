"""Read side of commerce: a buyer's orders, the staff's orders list and revenue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from courses.commerce.prices import money_label
from courses.models import AccessCode, Course, Order

# Orders a buyer sees: what they paid for, and what was taken back (not abandoned carts).
RECEIPT_STATUSES = (Order.Status.PAID, Order.Status.REFUNDED, Order.Status.DISPUTED)


def user_orders(*, user) -> QuerySet[Order]:
    return (
        Order.objects.filter(user=user, status__in=RECEIPT_STATUSES)
        .select_related("course")
        .order_by("-paid_at", "-created_at")
    )


def user_order_get(*, user, number: str) -> Order:
    """The user's own order; Order.DoesNotExist for anyone else's (a 404, never a 403)."""
    return Order.objects.select_related("course", "coupon").get(user=user, number=number)


def user_paid_order(*, user, course: Course) -> Order | None:
    return Order.objects.filter(user=user, course=course, status=Order.Status.PAID).first()


def staff_orders(
    *, status: str = "", course_slug: str = "", month: date | None = None, query: str = ""
) -> QuerySet[Order]:
    orders = Order.objects.select_related("course", "user").order_by("-created_at")
    if status:
        orders = orders.filter(status=status)
    if course_slug:
        orders = orders.filter(course__slug=course_slug)
    if month:
        orders = orders.filter(paid_at__year=month.year, paid_at__month=month.month)
    if query := query.strip():
        orders = orders.filter(
            Q(number__iexact=query) | Q(user__username__icontains=query)
            | Q(user__email__icontains=query) | Q(coupon_code__iexact=query)
        )  # fmt: skip
    return orders


@dataclass(frozen=True)
class MonthRevenue:
    month: date
    currency: str
    orders: int
    gross_minor: int
    refunded_minor: int

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.refunded_minor

    @property
    def gross_label(self) -> str:
        return money_label(self.gross_minor, self.currency)

    @property
    def refunded_label(self) -> str:
        return money_label(self.refunded_minor, self.currency)

    @property
    def net_label(self) -> str:
        return money_label(self.net_minor, self.currency)


def revenue_per_month(*, course_slug: str = "", months: int = 12) -> list[MonthRevenue]:
    """Money taken per month of payment (one query), newest first; refunds by month paid."""
    orders = Order.objects.filter(status__in=RECEIPT_STATUSES, paid_at__isnull=False)
    if course_slug:
        orders = orders.filter(course__slug=course_slug)
    taken_back = Q(status__in=[Order.Status.REFUNDED, Order.Status.DISPUTED])
    rows = (
        orders.annotate(month=TruncMonth("paid_at"))
        .values("month", "currency")
        .annotate(
            count=Count("pk"),
            gross=Sum("amount_minor"),
            refunded=Sum("amount_minor", filter=taken_back, default=0),
        )
        .order_by("-month", "currency")[: months * 3]
    )
    return [
        MonthRevenue(
            month=row["month"].date() if hasattr(row["month"], "date") else row["month"],
            currency=row["currency"],
            orders=row["count"],
            gross_minor=row["gross"] or 0,
            refunded_minor=row["refunded"] or 0,
        )
        for row in rows
    ]


def course_access_codes(*, course: Course) -> QuerySet[AccessCode]:
    return AccessCode.objects.filter(course=course).select_related("redeemed_by")


def access_code_counts(*, course: Course) -> dict[str, int]:
    return AccessCode.objects.filter(course=course).aggregate(
        total=Count("pk"),
        redeemed=Count("pk", filter=Q(redeemed_at__isnull=False)),
        revoked=Count("pk", filter=Q(revoked_at__isnull=False)),
    )
