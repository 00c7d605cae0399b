"""Sign-up and its e-mail confirmation (log-in, log-out and password reset are Django's own
views)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import PasswordResetView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods

from courses.accounts.forms import SignupForm
from courses.accounts.signup import (
    SignupLinkInvalid,
    signup_confirm,
    signup_pending,
    signup_request,
)
from courses.client_ip import client_ip
from courses.ratelimit import rate_exceeded, rate_hit


def _safe_next(request: HttpRequest) -> str | None:
    return _safe_url(request, request.POST.get("next") or request.GET.get("next") or "")


def _over_limit(request: HttpRequest, what: str, limit: int) -> bool:
    """Count this attempt from the client's IP; True once the hour's allowance is spent."""
    key = f"{what}:ip:{client_ip(request)}"
    if rate_exceeded(key, limit=limit):
        return True
    rate_hit(key, window_s=3600)
    return False


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or "courses:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and _over_limit(
        request, "signup", settings.SIGNUPS_PER_IP_PER_HOUR
    ):
        form.is_valid()  # the page shows what was typed (and any other problem) as usual
        form.add_error(
            None, "Too many sign-ups from your network in the last hour. Please try again later."
        )
        context = {"form": form, "next": _safe_next(request) or ""}
        return render(request, "registration/signup.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        next_url = _safe_next(request) or ""
        query = f"?{urlencode({'next': next_url})}" if next_url else ""
        signup_request(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            next_url=next_url,
            confirm_url_of=lambda token: request.build_absolute_uri(
                reverse("signup_confirm", args=[token])
            ),
            login_url=request.build_absolute_uri(reverse("login")) + query,
            reset_url=request.build_absolute_uri(reverse("password_reset")),
        )
        return render(
            request,
            "registration/signup_check_inbox.html",
            {"email": form.cleaned_data["email"], "next": next_url},
        )
    return render(
        request, "registration/signup.html", {"form": form, "next": _safe_next(request) or ""}
    )


@require_http_methods(["GET", "POST"])
def signup_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links; they must not create accounts); POST
    creates the account, logs it in and goes on to where the sign-up started."""
    try:
        pending = signup_pending(token=token)
        if request.method == "POST":
            user = signup_confirm(token=token)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.get_username()}! Your account is ready.")
            return redirect(_safe_url(request, pending.next_url) or "courses:dashboard")
    except SignupLinkInvalid as exc:
        context = {"problem": str(exc), "already_confirmed": exc.already_confirmed}
        return render(request, "registration/signup_confirm.html", context, status=400)
    return render(request, "registration/signup_confirm.html", {"pending": pending})


def _safe_url(request: HttpRequest, target: str) -> str | None:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


class ThrottledPasswordResetView(PasswordResetView):
    """Django's password reset, at most PASSWORD_RESETS_PER_IP_PER_HOUR mails per IP: each
    one costs a mail and lands in someone's inbox."""

    def form_valid(self, form):
        if _over_limit(self.request, "password-reset", settings.PASSWORD_RESETS_PER_IP_PER_HOUR):
            form.add_error(None, "Too many reset requests from your network in the last hour. "
                           "Please try again later.")  # fmt: skip
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
