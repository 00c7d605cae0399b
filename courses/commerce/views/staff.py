"""The studio's sales pages: orders (filters, revenue per month, CSV, refund) and codes."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from courses import access
from courses.commerce.gateway import PaymentProviderUnavailable
from courses.commerce.prices import money_label
from courses.commerce.selectors import (
    access_code_counts,
    course_access_codes,
    revenue_per_month,
    staff_orders,
)
from courses.commerce.services.codes import (
    CodeError,
    access_code_revoke,
    access_codes_generate,
    code_display,
)
from courses.commerce.services.orders import OrderError
from courses.commerce.services.payments import order_refund
from courses.csv_export import csv_response
from courses.models import AccessCode, Course, Order

PAGE_SIZE = 100


def _month(text: str) -> date | None:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def _filters(request: HttpRequest) -> dict:
    status = request.GET.get("status", "")
    return {
        "status": status if status in Order.Status.values else "",
        "course_slug": request.GET.get("course", "")[:50],
        "month": _month(request.GET.get("month", "")),
        "query": request.GET.get("q", "")[:100],
    }


@access.page_requires(access.can_view_orders, denied="Only sales staff can see orders.")
def studio_orders(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    orders = list(staff_orders(**filters)[:PAGE_SIZE])
    context = {
        "orders": orders,
        "filters": filters,
        "month_value": filters["month"].strftime("%Y-%m") if filters["month"] else "",
        "statuses": Order.Status.choices,
        "courses": Course.objects.order_by("title"),
        "revenue": revenue_per_month(course_slug=filters["course_slug"]),
        "can_refund": access.can_refund_orders(request.user),
        "page_size": PAGE_SIZE,
    }
    return render(request, "commerce/studio_orders.html", context)


@access.page_requires(access.can_view_orders, denied="Only sales staff can see orders.")
def studio_orders_csv(request: HttpRequest) -> HttpResponse:
    header = [
        "number",
        "created",
        "paid",
        "status",
        "username",
        "email",
        "course",
        "currency",
        "list_price",
        "discount",
        "amount",
        "coupon",
        "card",
        "refunded",
        "refund_reason",
    ]
    rows = (
        [
            order.number, order.created_at.isoformat(),
            order.paid_at.isoformat() if order.paid_at else "", order.status,
            order.user.get_username(), order.user.email, order.course.slug, order.currency,
            money_label(order.list_price_minor, order.currency),
            money_label(order.discount_minor, order.currency),
            money_label(order.amount_minor, order.currency), order.coupon_code,
            f"{order.card_brand} {order.card_last4}".strip(),
            order.refunded_at.isoformat() if order.refunded_at else "", order.refund_reason,
        ]
        for order in staff_orders(**_filters(request)).iterator()
    )  # fmt: skip
    return csv_response(filename="orders.csv", header=header, rows=rows)


@require_POST
@access.page_requires(access.can_refund_orders, denied="Only sales staff can refund orders.")
def studio_order_refund(request: HttpRequest, number: str) -> HttpResponse:
    order = Order.objects.filter(number=number).first()
    if order is None:
        raise Http404("No such order.")
    reason = request.POST.get("reason", "").strip()[:500] or f"Refunded by {request.user}"
    try:
        order_refund(order=order, reason=reason)
    except (OrderError, PaymentProviderUnavailable) as error:
        messages.error(request, f"Order {number} was not refunded: {error}")
    else:
        messages.success(request, f"Order {number} refunded; the learner's access is revoked.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("commerce:studio_orders")
    return redirect(back)


def _course(slug: str) -> Course:
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise Http404("No such course.")
    return course


@access.page_requires(access.can_manage_codes, denied="Only sales staff can manage codes.")
def studio_codes(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course(slug)
    typed = {"count": "10", "batch": ""}
    status = 200
    if request.method == "POST":
        typed = {"count": request.POST.get("count", "")[:6], "batch": request.POST.get("batch", "")}
        try:
            count = int(typed["count"])
            codes = access_codes_generate(
                course=course, count=count, batch=typed["batch"], created_by=request.user
            )
        except (ValueError, CodeError) as error:
            message = str(error) if isinstance(error, CodeError) else "Enter a number of codes."
            messages.error(request, message)
            status = 400
        else:
            messages.success(request, f"{len(codes)} codes generated. Download them as CSV below.")
            return redirect("commerce:studio_codes", slug=slug)
    context = {
        "course": course,
        "codes": [
            (code, code_display(code.code)) for code in course_access_codes(course=course)[:500]
        ],
        "counts": access_code_counts(course=course),
        "typed": typed,
        "batches": sorted(
            set(AccessCode.objects.filter(course=course).values_list("batch", flat=True)) - {""}
        ),
    }
    return render(request, "commerce/studio_codes.html", context, status=status)


@access.page_requires(access.can_manage_codes, denied="Only sales staff can manage codes.")
def studio_codes_csv(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course(slug)
    codes = course_access_codes(course=course)
    if batch := request.GET.get("batch"):
        codes = codes.filter(batch=batch)
    header = ["code", "course", "batch", "created", "status", "redeemed_by", "redeemed"]
    rows = (
        [
            code_display(code.code), course.slug, code.batch, code.created_at.isoformat(),
            "revoked" if code.revoked_at else "redeemed" if code.redeemed_at else "unused",
            code.redeemed_by.get_username() if code.redeemed_by else "",
            code.redeemed_at.isoformat() if code.redeemed_at else "",
        ]
        for code in codes.iterator()
    )  # fmt: skip
    return csv_response(filename=f"{course.slug}-codes.csv", header=header, rows=rows)


@require_POST
@access.page_requires(access.can_manage_codes, denied="Only sales staff can manage codes.")
def studio_code_revoke(request: HttpRequest, slug: str, code_id: int) -> HttpResponse:
    code = AccessCode.objects.filter(course__slug=slug, pk=code_id).first()
    if code is None:
        raise Http404("No such code.")
    if access_code_revoke(access_code=code):
        messages.success(request, f"Code {code_display(code.code)} revoked.")
    else:
        messages.error(request, f"Code {code_display(code.code)} was already used or revoked.")
    return redirect("commerce:studio_codes", slug=slug)
