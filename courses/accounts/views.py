"""Sign-up (log-in, log-out and password reset are Django's own views)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import PasswordResetView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from courses.accounts.forms import SignupForm
from courses.client_ip import client_ip
from courses.ratelimit import rate_exceeded, rate_hit


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


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
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.get_username()}! Your account is ready.")
        return redirect(_safe_next(request) or "courses:dashboard")
    return render(
        request, "registration/signup.html", {"form": form, "next": _safe_next(request) or ""}
    )


class ThrottledPasswordResetView(PasswordResetView):
    """Django's password reset, at most PASSWORD_RESETS_PER_IP_PER_HOUR mails per IP: each
    one costs a mail and lands in someone's inbox."""

    def form_valid(self, form):
        if _over_limit(self.request, "password-reset", settings.PASSWORD_RESETS_PER_IP_PER_HOUR):
            form.add_error(None, "Too many reset requests from your network in the last hour. "
                           "Please try again later.")  # fmt: skip
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
