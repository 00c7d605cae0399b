"""Reading the player's POSTs: the body and where the CSRF token may come from.

CSRF is Django's own check (CsrfViewMiddleware: token
against the csrftoken cookie, plus the Origin/Referer checks); the only addition
is where the token may come from, because navigator.sendBeacon cannot set an
X-CSRFToken header:

- the X-CSRFToken header (fetch),
- "csrf_token" in the JSON body (sendBeacon with a text/plain or JSON Blob),
- the "csrfmiddlewaretoken" form field (sendBeacon with FormData/URLSearchParams,
  the beat itself as JSON in the "beat" field),
- the "csrf_token" query parameter.
"""

import json

from django.conf import settings
from django.http import HttpRequest
from ninja import Schema, Status
from ninja.utils import check_csrf


class DetailOut(Schema):
    detail: str


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def request_body(request: HttpRequest) -> tuple[object | None, str | None]:
    """(decoded JSON payload or None if unreadable, CSRF token found in the body)."""
    if request.content_type in FORM_TYPES:
        token = request.POST.get("csrfmiddlewaretoken")
        raw = request.POST.get("beat", "")
    else:
        token, raw = None, request.body
    try:
        payload = json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError):
        return None, token
    if isinstance(payload, dict) and token is None:
        token = payload.pop("csrf_token", None) or payload.pop("csrfmiddlewaretoken", None)
    return payload, token if isinstance(token, str) else None


def request_auth_denied(request: HttpRequest, token: str | None = None):
    """None if the user may go on, else the Status to answer with."""
    if not request.user.is_authenticated:
        return Status(401, {"detail": "Log in to save your progress."})
    return request_csrf_denied(request, token)


def request_csrf_denied(request: HttpRequest, token: str | None):
    """None if Django's CSRF check passes with the token from wherever it came, else a 403."""
    header = settings.CSRF_HEADER_NAME
    token = token or request.GET.get("csrf_token")
    if token and not request.META.get(header):
        # Hand the token to Django's own check as if it had come in the header.
        request.META[header] = token
    if check_csrf(request) is not None:
        return Status(403, {"detail": "CSRF check failed; reload the page and try again."})
    return None
