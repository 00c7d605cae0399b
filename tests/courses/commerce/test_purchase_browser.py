"""Buying the course in a real headless Chromium, paying a real localstripe.

The whole visitor's path: the course page's "Buy" link → log-in page → "Create an account"
(the `next` survives) → "check your inbox" → the mailed link → the payment page →
localstripe's stand-in card form (Stripe.js served by localstripe itself) → lesson 1,
enrolled. The paid lesson then plays: the playback API answers 200 to the browser's own
session. 3-D Secure, a declined card (and
a retry on the same page), and axe-core on the payment page and "My orders".
"""

import re
import time

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from courses.models import Enrollment, Lesson, Order
from tests.axe import axe_report, axe_violations
from tests.factories import ready_video_create

pytestmark = pytest.mark.browser

SLUG = "craniosacral-therapy"
PAID_LESSON = 3
NAV_MS = 30_000
CARD_OK = "4242424242424242"
CARD_3DS = "4000002500003155"
CARD_DECLINED = "4000000000000341"  # attaches, but every charge is declined
PASSWORD = "a-long-test-passphrase-9"


@pytest.fixture
def shop(transactional_db, course, localstripe, stripe_webhooks):
    """The real course, with a ready video on the paid lesson 3 (so it can play)."""
    lesson = Lesson.objects.get(course=course, number=PAID_LESSON)
    lesson.video = ready_video_create(600)
    lesson.save(update_fields=["video"])
    return {"course": course, "paid_lesson": lesson, "url": stripe_webhooks.url}


@pytest.fixture
def page(browser, shop):
    context = browser.new_context()
    context.set_default_timeout(NAV_MS)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def pay_page_url(base: str) -> re.Pattern:
    return re.compile(re.escape(base) + r"/orders/[^/]+/pay/$")


def lesson_url(base: str, number: int) -> str:
    return f"{base}/courses/{SLUG}/lessons/{number}/"


def signup_link_mailed_to(address: str) -> str:
    """The confirmation link of the sign-up mail (Django's test outbox: the live server runs
    in this process)."""
    message = next(m for m in reversed(mail.outbox) if m.to == [address])
    return re.search(r"https?://\S+/accounts/signup/confirm/\S+/", message.body).group(0)


def sign_up_from_course_page(page, base: str, username: str) -> str:
    """A new visitor: course page → Buy → login → Create an account → the payment page."""
    page.goto(f"{base}/courses/{SLUG}/")
    page.get_by_role("link", name=re.compile(r"^Buy")).first.click()
    buy = f"/courses/{SLUG}/buy/"
    expect(page).to_have_url(re.compile(re.escape(f"{base}/accounts/login/?next=") + ".*buy"))
    page.get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/\?next="))
    assert page.locator("input[name=next]").input_value() == buy  # kept through sign-up
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.com")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    page.goto(signup_link_mailed_to(f"{username}@example.com"))
    page.get_by_role("button", name="Confirm and log in").click()
    expect(page).to_have_url(pay_page_url(base))
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(page.get_by_label("Coupon code")).to_be_visible()
    expect(page.get_by_role("button", name="Apply coupon")).to_be_visible()
    wait_for_card_form(page)
    return page.url.rstrip("/").split("/")[-2]  # the order number


def wait_for_card_form(page) -> None:
    expect(page.locator("#card-element input[placeholder=number]")).to_be_visible()
    expect(page.locator("#pay-button")).to_be_enabled()
    expect(page.locator("#pay-button")).to_have_text(re.compile(r"^Pay \$149\.00"))


def fill_card(page, number: str, exp: str = "12/30", cvc: str = "123", postal: str = "12345"):
    month, year = exp.split("/")
    values = {"number": number, "exp_month": month, "exp_year": year, "cvc": cvc}
    for placeholder, value in {**values, "postal_code": postal}.items():
        page.fill(f"#card-element input[placeholder={placeholder}]", value)


def click_pay(page) -> None:
    page.get_by_role("button", name=re.compile(r"^Pay")).click()


def complete_3ds_until_enrolled(page, base: str) -> int:
    """Click "Complete authentication" each time the stand-in asks; the count of clicks."""
    target, clicks = lesson_url(base, 1), 0
    confirm = page.get_by_role("button", name="Complete authentication")
    error = page.locator("#payment-error")
    deadline = time.monotonic() + NAV_MS / 1000
    while True:
        try:
            page.wait_for_url(target, timeout=250)
            return clicks
        except PlaywrightError:
            pass
        assert time.monotonic() < deadline, f"not enrolled; still on {page.url}"
        try:  # the page may navigate away at any moment: no waiting on it here
            if error.count() and (message := error.text_content(timeout=500)):
                pytest.fail(f"the payment failed: {message}")
            if confirm.count() and confirm.is_visible():
                confirm.click(timeout=2_000)
                clicks += 1
        except PlaywrightError:
            continue


def assert_enrolled_on_lesson_1(page, base: str) -> None:
    expect(page).to_have_url(lesson_url(base, 1))
    expect(page.locator(".messages")).to_contain_text("You're enrolled in")


def playback_status(page, base: str, lesson: Lesson) -> int:
    """GET the playback API with the browser's own cookies (the page's context)."""
    url = base + reverse("api:lesson_playback", kwargs={"lesson_id": lesson.pk})
    return page.request.get(url).status


def assert_paid_lesson_plays(page, base: str, lesson: Lesson) -> None:
    assert playback_status(page, base, lesson) == 200
    page.goto(lesson_url(base, PAID_LESSON))
    expect(page.locator("#player.lesson-player")).to_be_visible()
    expect(page.get_by_text("This lesson is part of the full course")).to_have_count(0)


def assert_paid(username: str, course) -> Order:
    order = Order.objects.get(user__username=username, course=course)
    assert order.status == Order.Status.PAID
    assert order.amount_minor == 14900
    enrollment = Enrollment.objects.get(user__username=username, course=course)
    assert enrollment.source == Enrollment.Source.PURCHASE
    return order


def test_new_visitor_buys_with_a_card_and_watches_a_paid_lesson(page, shop):
    base = shop["url"]
    number = sign_up_from_course_page(page, base, "buyer")
    fill_card(page, CARD_OK)
    click_pay(page)
    page.wait_for_url(lesson_url(base, 1))
    assert_enrolled_on_lesson_1(page, base)

    order = assert_paid("buyer", shop["course"])
    assert order.number == number
    assert order.card_last4 == "4242"
    assert_paid_lesson_plays(page, base, shop["paid_lesson"])
    assert page.errors == []


def test_3d_secure_card_is_authenticated_then_enrolled(page, shop):
    base = shop["url"]
    sign_up_from_course_page(page, base, "secure")
    fill_card(page, CARD_3DS)
    click_pay(page)
    clicks = complete_3ds_until_enrolled(page, base)
    assert clicks in (1, 2)  # localstripe asks twice: for the card set-up, then the payment
    assert_enrolled_on_lesson_1(page, base)

    order = assert_paid("secure", shop["course"])
    assert order.card_last4 == "3155"
    assert_paid_lesson_plays(page, base, shop["paid_lesson"])
    assert page.errors == []


def test_declined_card_shows_the_reason_and_the_order_stays_payable(page, shop):
    base = shop["url"]
    course, lesson = shop["course"], shop["paid_lesson"]
    number = sign_up_from_course_page(page, base, "declined")
    fill_card(page, CARD_DECLINED)
    click_pay(page)
    error = page.locator("#payment-error")
    expect(error).to_contain_text("declined")
    expect(error).to_be_visible()
    expect(page).to_have_url(pay_page_url(base))
    expect(page.locator("#pay-button")).to_be_enabled()
    expect(page.locator("#pay-button")).to_have_text(re.compile(r"^Pay \$149\.00"))

    order = Order.objects.get(number=number)
    assert order.status == Order.Status.FAILED
    assert "declined" in order.failure_message
    assert not Enrollment.objects.filter(user__username="declined", course=course).exists()
    assert playback_status(page, base, lesson) == 403

    # Another card, on the same page without reloading it: the order is still payable.
    fill_card(page, CARD_OK)
    click_pay(page)
    page.wait_for_url(lesson_url(base, 1))
    assert_enrolled_on_lesson_1(page, base)
    order = assert_paid("declined", course)
    assert order.number == number and order.card_last4 == "4242"
    assert order.failure_message == ""
    assert_paid_lesson_plays(page, base, lesson)
    assert page.errors == []


def test_pay_page_and_my_orders_have_no_wcag_violations(page, shop):
    base = shop["url"]
    sign_up_from_course_page(page, base, "a11y")  # the card form is mounted
    for name in ("Card number", "Expiry month (MM)", "Expiry year (YY)", "Security code (CVC)"):
        expect(page.get_by_label(name, exact=True)).to_be_visible()  # checkout.js labelInputs
    violations = axe_violations(page)
    assert not violations, "payment page:\n" + axe_report(violations)
    fill_card(page, CARD_DECLINED)  # and with a card's error showing
    click_pay(page)
    expect(page.locator("#payment-error")).to_contain_text("declined")
    violations = axe_violations(page)
    assert not violations, "payment page, card declined:\n" + axe_report(violations)

    fill_card(page, CARD_OK)
    click_pay(page)
    page.wait_for_url(lesson_url(base, 1))
    page.goto(base + reverse("commerce:orders"))
    expect(page.get_by_role("heading", name="My orders")).to_be_visible()
    expect(page.locator("table.data-table tbody tr")).to_have_count(1)
    expect(page.locator("table.data-table tbody")).to_contain_text("Paid")
    violations = axe_violations(page)
    assert not violations, "My orders:\n" + axe_report(violations)
    assert page.errors == []
