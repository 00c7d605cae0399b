"""Buying a course: "Buy" → (sign up or log in) → the payment page → lesson 1, enrolled.

The payment page's script (static/js/checkout.js) calls the three JSON endpoints here:
setup (a SetupIntent for the card form), charge (the server charges the order's amount)
and confirm (after 3-D Secure). Amounts, currencies and coupons come only from the order.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from courses import access
from courses.catalog.selectors import course_get
from courses.commerce.gateway import PaymentProviderUnavailable
from courses.commerce.prices import money_label
from courses.commerce.selectors import user_order_get
from courses.commerce.services.coupons import CouponError
from courses.commerce.services.orders import (
    OPEN_STATUSES,
    OrderError,
    order_coupon_apply,
    order_coupon_remove,
    order_open,
)
from courses.commerce.services.payments import (
    PaymentOutcome,
    order_complete_free,
    order_payment_charge,
    order_payment_confirm,
    order_payment_setup,
)
from courses.models import Course, Order


def _first_lesson_url(course: Course) -> str:
    first = course.lessons.order_by("number").values_list("number", flat=True).first()
    if first is None:
        return reverse("courses:dashboard")
    return reverse("courses:lesson_detail", args=[course.slug, first])


def _enrolled_redirect(request: HttpRequest, course: Course) -> HttpResponse:
    messages.success(request, f"You're enrolled in {course.title}. Enjoy the course!")
    return redirect(_first_lesson_url(course))


def _own_order(request: HttpRequest, number: str) -> Order:
    try:
        return user_order_get(user=request.user, number=number)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None


@require_GET
def buy(request: HttpRequest, slug: str) -> HttpResponse:
    """The course page's "Buy" link: after log-in or sign-up, back here, then to payment."""
    try:
        course = course_get(slug=slug)
    except Course.DoesNotExist:
        raise Http404("No such course.") from None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if access.is_enrolled(user=request.user, course=course):
        messages.info(request, f"You're already enrolled in {course.title}.")
        return redirect(_first_lesson_url(course))
    if course.is_free:
        return redirect("courses:course_detail", slug=slug)
    order = order_open(user=request.user, course=course)
    return redirect("commerce:order_pay", number=order.number)


@login_required
def order_pay(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    if order.status == Order.Status.PAID:
        return _enrolled_redirect(request, order.course)
    if order.status not in OPEN_STATUSES:
        messages.info(request, f"Order {order.number} is {order.get_status_display().lower()}.")
        return redirect("commerce:orders")
    coupon_code, coupon_error = order.coupon_code, ""
    if request.method == "POST":
        coupon_code = request.POST.get("coupon", "").strip()[:40]
        try:
            if "remove_coupon" in request.POST:
                order, coupon_code = order_coupon_remove(order=order), ""
            else:
                order = order_coupon_apply(order=order, code=coupon_code)
                messages.success(request, f"Coupon {order.coupon_code} applied.")
                return redirect("commerce:order_pay", number=order.number)
        except (CouponError, OrderError) as error:
            coupon_error = str(error)  # the page keeps what the buyer typed
    context = {
        "order": order,
        "course": order.course,
        "list_price": money_label(order.list_price_minor, order.currency),
        "discount": money_label(order.discount_minor, order.currency),
        "amount": money_label(order.amount_minor, order.currency),
        "coupon_code": coupon_code,
        "coupon_error": coupon_error,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }
    return render(request, "commerce/pay.html", context, status=400 if coupon_error else 200)


def _outcome_response(order: Order, outcome: PaymentOutcome) -> JsonResponse:
    body = {"status": outcome.status, "message": outcome.message}
    if outcome.status == "paid":
        body["redirect"] = reverse("commerce:order_complete", args=[order.number])
    if outcome.client_secret:
        body["client_secret"] = outcome.client_secret
    return JsonResponse(body, status=402 if outcome.status == "failed" else 200)


def _json_endpoint(handle):
    """Login, own order, POST; OrderError → 409 and Stripe down → 503, with a message."""

    @require_POST
    def view(request: HttpRequest, number: str) -> JsonResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"status": "failed", "message": "Log in again."}, status=401)
        order = _own_order(request, number)
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        try:
            return handle(order, body if isinstance(body, dict) else {})
        except OrderError as error:
            return JsonResponse({"status": "failed", "message": str(error)}, status=409)
        except PaymentProviderUnavailable as error:
            return JsonResponse({"status": "failed", "message": str(error)}, status=503)

    view.__name__ = handle.__name__
    return view


@_json_endpoint
def payment_setup(order: Order, body: dict) -> JsonResponse:
    return JsonResponse({"client_secret": order_payment_setup(order=order)})


@_json_endpoint
def payment_charge(order: Order, body: dict) -> JsonResponse:
    setup_intent_id = body.get("setup_intent")
    if not isinstance(setup_intent_id, str) or not setup_intent_id:
        raise OrderError("Enter your card details first.")
    return _outcome_response(
        order, order_payment_charge(order=order, setup_intent_id=setup_intent_id)
    )


@_json_endpoint
def payment_confirm(order: Order, body: dict) -> JsonResponse:
    return _outcome_response(order, order_payment_confirm(order=order))


@login_required
@require_POST
def order_free(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    try:
        order = order_complete_free(order=order)
    except OrderError as error:
        messages.error(request, str(error))
        return redirect("commerce:order_pay", number=number)
    return _enrolled_redirect(request, order.course)


@login_required
@require_GET
def order_complete(request: HttpRequest, number: str) -> HttpResponse:
    """Where the buyer lands after paying (and after a 3-D Secure redirect, on real Stripe)."""
    order = _own_order(request, number)
    try:
        outcome = order_payment_confirm(order=order)
    except PaymentProviderUnavailable as error:
        messages.warning(request, f"{error} If you paid, you'll be enrolled within minutes.")
        return redirect("commerce:order_pay", number=number)
    if outcome.status == "paid":
        return _enrolled_redirect(request, order.course)
    if outcome.message:
        messages.error(request, outcome.message)
    return redirect("commerce:order_pay", number=number)
