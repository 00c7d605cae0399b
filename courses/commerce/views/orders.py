"""The buyer's orders and receipts, and redeeming a single-use code on the course page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from courses.catalog.selectors import course_get, course_syllabus_get
from courses.catalog.views import course_detail_render
from courses.client_ip import client_ip
from courses.commerce.selectors import user_order_get, user_orders
from courses.commerce.services.codes import CodeError, access_code_redeem
from courses.models import Course, Order


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    return render(request, "commerce/orders.html", {"orders": user_orders(user=request.user)})


@login_required
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    try:
        order = user_order_get(user=request.user, number=number)
    except Order.DoesNotExist:
        raise Http404("No such order.") from None
    return render(request, "commerce/receipt.html", {"order": order})


@require_POST
def redeem(request: HttpRequest, slug: str) -> HttpResponse:
    course_url = reverse("courses:course_detail", args=[slug])
    if not request.user.is_authenticated:
        return redirect_to_login(course_url)
    try:
        course = course_get(slug=slug)
    except Course.DoesNotExist:
        raise Http404("No such course.") from None
    code = request.POST.get("code", "")[:64]
    try:
        access_code_redeem(
            user=request.user, course=course, code=code, client_ip=client_ip(request)
        )
    except CodeError as error:
        # The course page again, the code still in its field, the reason beside it.
        extra = {"redeem_code": code, "redeem_error": str(error)}
        return course_detail_render(
            request, course_syllabus_get(slug=slug), status=400, extra=extra
        )
    messages.success(request, f"You're enrolled in {course.title}. Enjoy the course!")
    return redirect("courses:dashboard")
