"""The studio's orders list: filters, revenue per month, CSV, and who may see it."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from courses import access
from courses.models import Order
from tests.factories import InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_order(course, user, status, amount, paid_at, number):
    return Order.objects.create(
        number=number, user=user, course=course, status=status, currency="USD",
        list_price_minor=amount, amount_minor=amount, paid_at=paid_at,
    )  # fmt: skip


@pytest.fixture
def orders(course):
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    return [
        make_order(course, a, "paid", 14900, datetime(2026, 10, 3, tzinfo=UTC), "ORD-AAAA-0001"),
        make_order(
            course, b, "refunded", 14900, datetime(2026, 10, 9, tzinfo=UTC), "ORD-AAAA-0002"
        ),
        make_order(course, c, "paid", 11920, datetime(2026, 11, 1, tzinfo=UTC), "ORD-AAAA-0003"),
        make_order(course, UserFactory(), "pending", 14900, None, "ORD-AAAA-0004"),
    ]


def test_revenue_per_month_and_filters(client, orders):
    client.force_login(InstructorFactory())
    html = client.get(reverse("commerce:studio_orders")).content.decode()
    assert "October 2026" in html and "$298.00" in html and "$149.00" in html  # gross, refunded
    assert "November 2026" in html and "$119.20" in html
    filtered = client.get(
        reverse("commerce:studio_orders"), {"status": "refunded"}
    ).content.decode()
    assert "ORD-AAAA-0002" in filtered and "ORD-AAAA-0001" not in filtered
    by_month = client.get(reverse("commerce:studio_orders"), {"month": "2026-11"}).content.decode()
    assert "ORD-AAAA-0003" in by_month and "ORD-AAAA-0001" not in by_month


def test_orders_csv_export(client, orders):
    client.force_login(InstructorFactory())
    response = client.get(reverse("commerce:studio_orders_csv"), {"status": "paid"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["number"] for row in rows} == {"ORD-AAAA-0001", "ORD-AAAA-0003"}
    assert {row["amount"] for row in rows} == {"$149.00", "$119.20"}


def test_only_sales_staff_see_orders(client, orders):
    client.force_login(InstructorFactory(permissions=[access.MANAGE_LESSONS_PERMISSION]))
    assert client.get(reverse("commerce:studio_orders")).status_code == 403
    assert client.get(reverse("commerce:studio_orders_csv")).status_code == 403
    client.force_login(UserFactory())
    assert client.get(reverse("commerce:studio_orders")).status_code == 403
    client.logout()
    assert client.get(reverse("commerce:studio_orders")).status_code == 302


@pytest.mark.parametrize(
    "evil", ['=HYPERLINK("http://e.org","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx"]
)
def test_csv_cells_cannot_become_formulas(client, course, evil):
    buyer = UserFactory(username="mallory", email="m@example.org")
    order = make_order(
        course, buyer, "paid", 14900, datetime(2026, 10, 3, tzinfo=UTC), "ORD-EVIL-0001"
    )
    Order.objects.filter(pk=order.pk).update(coupon_code=evil, refund_reason=evil)
    client.force_login(InstructorFactory())
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("commerce:studio_orders_csv")).content.decode()))
    )
    cells = [cell for row in rows[1:] for cell in row]
    assert f"'{evil}" in cells and evil not in cells
