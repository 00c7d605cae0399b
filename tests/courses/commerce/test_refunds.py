"""Refunds and disputes take the seat back: studio, admin command, and Stripe's own events."""

import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from courses import access
from courses.commerce.services.payments import order_payment_charge, order_refund
from courses.models import Enrollment, Order
from tests.conftest import subprocess_env
from tests.courses.commerce.conftest import event_of, localstripe_get
from tests.courses.commerce.test_webhooks import post_event
from tests.factories import InstructorFactory, ready_video_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order(order, card_ready):
    order_payment_charge(order=order, setup_intent_id=card_ready())
    order.refresh_from_db()
    assert order.status == "paid"
    return order


def playback_status(client, lesson) -> int:
    return client.get(reverse("api:lesson_playback", kwargs={"lesson_id": lesson.pk})).status_code


@pytest.fixture
def paid_lesson(course, seaweedfs):
    lesson = course.lessons.filter(is_preview=False).order_by("number").first()
    lesson.video = ready_video_create()
    lesson.save(update_fields=["video"])
    return lesson


def test_a_refund_from_the_studio_revokes_access(client, paid_order, buyer, paid_lesson):
    client.force_login(buyer)
    assert playback_status(client, paid_lesson) == 200
    instructor = InstructorFactory()
    client.force_login(instructor)
    page = client.get(reverse("commerce:studio_orders")).content.decode()
    assert paid_order.number in page and f"Refund {paid_order.number}" in page
    response = client.post(
        reverse("commerce:studio_order_refund", args=[paid_order.number]),
        {"reason": "Asked within 30 days"},
    )
    assert response.status_code == 302
    paid_order.refresh_from_db()
    assert paid_order.status == "refunded" and paid_order.refund_reason == "Asked within 30 days"
    refunds = localstripe_get(f"/v1/refunds?payment_intent={paid_order.stripe_payment_intent_id}")
    assert [r["amount"] for r in refunds["data"]] == [14900]
    assert not Enrollment.objects.filter(user=buyer).exists()
    client.force_login(buyer)
    assert playback_status(client, paid_lesson) == 403


def test_staff_without_the_refund_permission_cannot_refund(client, paid_order):
    client.force_login(InstructorFactory(permissions=[access.VIEW_ORDERS_PERMISSION]))
    response = client.post(reverse("commerce:studio_order_refund", args=[paid_order.number]))
    assert response.status_code == 403
    paid_order.refresh_from_db()
    assert paid_order.status == "paid"


def test_charge_refunded_in_the_stripe_dashboard_revokes_access(client, paid_order, buyer):
    charge = {
        "id": paid_order.stripe_charge_id,
        "object": "charge",
        "refunded": True,
        "payment_intent": paid_order.stripe_payment_intent_id,
        "amount_refunded": 14900,
    }
    event = event_of("charge.refunded", charge)
    assert post_event(client, event).content == b"refunded"
    assert post_event(client, event).content == b"duplicate"
    paid_order.refresh_from_db()
    assert paid_order.status == "refunded"
    assert not Enrollment.objects.filter(user=buyer).exists()
    # Another event about the same refund (a new id) finds nothing to do.
    assert b"nothing to do" in post_event(client, event_of("charge.refunded", charge)).content


def test_a_partial_refund_keeps_access(client, paid_order, buyer):
    charge = {
        "id": paid_order.stripe_charge_id,
        "object": "charge",
        "refunded": False,
        "payment_intent": paid_order.stripe_payment_intent_id,
        "amount_refunded": 1000,
    }
    post_event(client, event_of("charge.refunded", charge))
    paid_order.refresh_from_db()
    assert paid_order.status == "paid" and Enrollment.objects.filter(user=buyer).exists()


def test_a_dispute_revokes_access(client, paid_order, buyer):
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "charge": paid_order.stripe_charge_id,
        "payment_intent": paid_order.stripe_payment_intent_id,
    }
    assert post_event(client, event_of("charge.dispute.created", dispute)).content == b"disputed"
    paid_order.refresh_from_db()
    assert paid_order.status == "disputed"
    assert not Enrollment.objects.filter(user=buyer).exists()


def test_a_refund_keeps_a_seat_given_another_way(paid_order, buyer, course):
    Enrollment.objects.filter(user=buyer).update(source=Enrollment.Source.COMP)
    order_refund(order=paid_order, reason="goodwill")
    assert Enrollment.objects.filter(user=buyer, source="comp").exists()


def test_refund_order_command_by_number(paid_order, buyer, capsys):
    call_command("refund_order", paid_order.number.lower())
    assert f"Refunded order {paid_order.number}" in capsys.readouterr().out
    paid_order.refresh_from_db()
    assert paid_order.status == "refunded"
    with pytest.raises(CommandError, match="refunded"):
        call_command("refund_order", paid_order.number)


def test_refund_order_command_by_user_and_course(paid_order, buyer, course):
    call_command("refund_order", "--user", buyer.username, "--course", course.slug)
    assert Order.objects.get(pk=paid_order.pk).status == "refunded"
    with pytest.raises(CommandError, match="no paid order"):
        call_command("refund_order", "--user", buyer.username, "--course", course.slug)


def test_refund_order_command_exits_non_zero_when_nothing_was_refunded(localstripe, db):
    result = subprocess.run(
        [sys.executable, "manage.py", "refund_order", "ORD-NONE-XXXX"],
        capture_output=True,
        text=True,
        env=subprocess_env(),
    )
    assert result.returncode != 0 and "No order" in result.stderr


def test_grants_issued_before_a_refund_stop_working_when_they_expire(
    client, paid_order, buyer, paid_lesson, settings
):
    settings.MEDIA_SIGNED_URL_TTL_S = 2
    client.force_login(buyer)
    grant = client.get(reverse("api:lesson_playback", kwargs={"lesson_id": paid_lesson.pk})).json()
    order_refund(order=paid_order, reason="test")
    assert playback_status(client, paid_lesson) == 403  # no new grant
    time.sleep(2.5)
    assert client.get(grant["master_url"]).status_code in (403, 410)
