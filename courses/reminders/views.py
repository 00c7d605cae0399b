"""Opting in to (or out of) the weekly reminder e-mail, from the dashboard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from courses.reminders.services import reminders_subscribe


@login_required
@require_POST
def reminders_toggle(request: HttpRequest) -> HttpResponse:
    on = request.POST.get("reminders") == "on"
    if on and not request.user.email:
        messages.error(request, "Your account has no e-mail address to send reminders to.")
        return redirect("courses:dashboard")
    reminders_subscribe(user=request.user, on=on)
    messages.success(
        request,
        "You will get a weekly reminder e-mail." if on else "No more reminder e-mails.",
    )
    return redirect("courses:dashboard")
