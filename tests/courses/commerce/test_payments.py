"""Paying an order against a running localstripe: real HTTP, no mocked SDK."""

import pytest
from django.urls import reverse

from courses import access
from courses.commerce.services.orders import OrderError, order_coupon_apply, order_open
from courses.commerce.services.payments import (
    order_payment_charge,
    order_payment_confirm,
    order_payment_setup,
)
from courses.models import Coupon, Enrollment, Lesson, Order
from tests.courses.commerce.conftest import (
    CARD_3DS,
    CARD_DECLINED_AT_CHARGE,
    localstripe_get,
    payment_authenticate,
)

pytestmark = pytest.mark.django_db


def paid_lesson(course) -> Lesson:
    return course.lessons.filter(is_preview=False).order_by("number").first()


def test_paying_enrolls_with_the_amount_computed_on_the_server(order, card_ready, buyer, course):
    assert not access.can_watch(user=buyer, lesson=paid_lesson(course))
    outcome = order_payment_charge(order=order, setup_intent_id=card_ready())
    assert outcome.status == "paid"
    order.refresh_from_db()
    assert (order.status, order.amount_minor, order.currency) == ("paid", 14900, "USD")
    assert (order.card_brand, order.card_last4) == ("visa", "4242")
    payment_intent = localstripe_get(f"/v1/payment_intents/{order.stripe_payment_intent_id}")
    assert (payment_intent["amount"], payment_intent["status"]) == (14900, "succeeded")
    enrollment = Enrollment.objects.get(user=buyer, course=course)
    assert enrollment.source == Enrollment.Source.PURCHASE
    assert access.can_watch(user=buyer, lesson=paid_lesson(course))


def test_charging_again_never_charges_twice(order, card_ready):
    setup_intent_id = card_ready()
    first = order_payment_charge(order=order, setup_intent_id=setup_intent_id)
    order.refresh_from_db()
    charged = order.stripe_payment_intent_id
    # A retried request, a second tab, a reloaded page: the same payment, no new one.
    again = order_payment_charge(order=order, setup_intent_id=setup_intent_id)
    other_card = order_payment_charge(order=order, setup_intent_id=setup_intent_id)
    order.refresh_from_db()
    assert first.status == again.status == other_card.status == "paid"
    assert order.stripe_payment_intent_id == charged
    intents = localstripe_get("/v1/payment_intents?limit=100")["data"]
    assert [pi["id"] for pi in intents if pi["metadata"].get("order") == order.number] == [charged]
    assert Enrollment.objects.filter(user=order.user).count() == 1


def test_a_card_declined_at_charge_leaves_the_order_payable(order, card_ready, buyer, course):
    outcome = order_payment_charge(order=order, setup_intent_id=card_ready(CARD_DECLINED_AT_CHARGE))
    assert outcome.status == "failed" and "declined" in outcome.message
    order.refresh_from_db()
    assert order.status == "failed" and "declined" in order.failure_message
    assert not Enrollment.objects.filter(user=buyer).exists()
    # Another card on the same order goes through.
    assert order_payment_charge(order=order, setup_intent_id=card_ready()).status == "paid"
    order.refresh_from_db()
    assert order.status == "paid" and order.failure_message == ""


def test_three_d_secure_is_handed_to_stripe_js_then_verified_by_the_server(order, card_ready):
    outcome = order_payment_charge(order=order, setup_intent_id=card_ready(CARD_3DS))
    assert outcome.status == "requires_action" and outcome.client_secret
    order.refresh_from_db()
    assert order.status == "pending" and not Enrollment.objects.exists()
    payment_authenticate(outcome.client_secret, success=True)
    assert order_payment_confirm(order=order).status == "paid"
    order.refresh_from_db()
    assert order.status == "paid" and Enrollment.objects.filter(user=order.user).exists()


def test_failed_authentication_is_a_failed_payment(order, card_ready):
    outcome = order_payment_charge(order=order, setup_intent_id=card_ready(CARD_3DS))
    payment_authenticate(outcome.client_secret, success=False)
    confirmed = order_payment_confirm(order=order)
    assert confirmed.status == "failed" and "authentication" in confirmed.message
    order.refresh_from_db()
    assert order.status == "failed" and not Enrollment.objects.exists()


def test_a_setup_intent_of_another_order_is_refused(order, card_ready, make_user, course):
    setup_intent_id = card_ready()
    other = order_open(user=make_user("mallory", email="m@example.org"), course=course)
    order_payment_setup(order=other)
    with pytest.raises(OrderError):
        order_payment_charge(order=other, setup_intent_id=setup_intent_id)
    other.refresh_from_db()
    assert other.status == "pending" and not other.stripe_payment_intent_id


def test_a_coupon_changes_the_amount_stripe_charges(order, card_ready, coupon):
    order = order_coupon_apply(order=order, code=" spring20 ")
    assert (order.discount_minor, order.amount_minor) == (2980, 11920)
    order_payment_charge(order=order, setup_intent_id=card_ready())
    order.refresh_from_db()
    payment_intent = localstripe_get(f"/v1/payment_intents/{order.stripe_payment_intent_id}")
    assert payment_intent["amount"] == 11920 and order.status == "paid"


def test_amounts_sent_by_the_client_are_ignored(client, order, card_ready, buyer):
    client.force_login(buyer)
    response = client.post(
        reverse("commerce:payment_charge", args=[order.number]),
        {"setup_intent": card_ready(), "amount": 1, "currency": "jpy", "coupon": "FREE"},
        content_type="application/json",
    )
    assert response.json()["status"] == "paid"
    order.refresh_from_db()
    payment_intent = localstripe_get(f"/v1/payment_intents/{order.stripe_payment_intent_id}")
    assert (payment_intent["amount"], payment_intent["currency"]) == (14900, "usd")


def test_stripe_unreachable_says_so_and_changes_nothing(client, order, buyer, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    client.force_login(buyer)
    response = client.post(reverse("commerce:payment_setup", args=[order.number]))
    assert response.status_code == 503
    assert "cannot be reached" in response.json()["message"]
    order.refresh_from_db()
    assert order.status == "pending" and not order.stripe_setup_intent_id


def test_another_buyers_order_is_a_404(client, order, make_user):
    client.force_login(make_user("eve"))
    assert client.get(reverse("commerce:order_pay", args=[order.number])).status_code == 404
    response = client.post(reverse("commerce:payment_setup", args=[order.number]))
    assert response.status_code == 404


def test_two_tabs_open_one_order(localstripe, buyer, course):
    first, second = order_open(user=buyer, course=course), order_open(user=buyer, course=course)
    assert first.pk == second.pk
    assert Order.objects.filter(user=buyer).count() == 1


def test_buy_sends_visitors_to_log_in_and_back(client, localstripe, buyer, course, settings):
    buy_url = reverse("commerce:buy", args=[course.slug])
    response = client.get(buy_url)
    assert response.status_code == 302 and "next=" in response.url and "buy" in response.url
    client.force_login(buyer)
    response = client.get(buy_url)
    order = Order.objects.get(user=buyer)
    assert response.url == reverse("commerce:order_pay", args=[order.number])
    page = client.get(response.url).content.decode()
    assert "Pay $149.00" in page and 'id="card-element"' in page
    assert 'name="coupon"' in page and settings.STRIPE_JS_URL in page


def test_a_refused_coupon_keeps_what_was_typed(client, order, buyer):
    client.force_login(buyer)
    response = client.post(reverse("commerce:order_pay", args=[order.number]), {"coupon": "NOPE1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="NOPE1"' in html and "not a valid coupon" in html
    order.refresh_from_db()
    assert order.amount_minor == 14900


def test_a_zero_total_order_enrolls_without_a_card(client, order, buyer, course):
    Coupon.objects.create(course=course, code="GIFT100", percent_off=100)
    client.force_login(buyer)
    client.post(reverse("commerce:order_pay", args=[order.number]), {"coupon": "gift100"})
    page = client.get(reverse("commerce:order_pay", args=[order.number])).content.decode()
    assert "Pay $0.00 and enroll" in page and "card-element" not in page
    response = client.post(reverse("commerce:order_free", args=[order.number]))
    first = course.lessons.order_by("number").first()
    assert response.url == reverse("courses:lesson_detail", args=[course.slug, first.number])
    order.refresh_from_db()
    assert (order.status, order.amount_minor, order.stripe_payment_intent_id) == ("paid", 0, "")
    assert Enrollment.objects.get(user=buyer).source == "purchase"


def test_a_free_order_cannot_be_completed_while_it_costs_something(client, order, buyer):
    client.force_login(buyer)
    client.post(reverse("commerce:order_free", args=[order.number]))
    order.refresh_from_db()
    assert order.status == "pending" and not Enrollment.objects.exists()


def test_self_enrollment_in_a_priced_course_is_refused(client, buyer, course):
    client.force_login(buyer)
    response = client.post(reverse("courses:enroll", args=[course.slug]))
    assert response.status_code == 400 and not Enrollment.objects.exists()
