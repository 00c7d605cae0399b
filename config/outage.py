"""The database is unreachable: answer 503 with Retry-After at once, never a 500.

PostgreSQL restarting (or failing over) refuses connections for a few seconds; the driver
says so with OperationalError (InterfaceError for a connection that died in use). That is
not a bug in the page asked for: the answer is "try again shortly", which the player's
beacon understands (it keeps the beat and sends it again) and which load balancers and
browsers honour. /api/ gets JSON like every API answer; pages get a plain page that needs
nothing from the database, the session or the request context.

Three hooks, one answer: the middleware (errors raised in views), the NinjaAPI exception
handler (the API, which would otherwise answer a traceback in DEBUG) and handler500 (errors
raised in other middleware, e.g. a session saved while the database is down).
"""

import json
import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_S = 5
API_DETAIL = "The service is briefly unavailable. Please try again in a moment."


def database_unavailable(request, error: BaseException) -> HttpResponse:
    """The 503 for a request that needed the database while it could not be reached."""
    first_line = (str(error).splitlines() or [type(error).__name__])[0]
    logger.warning("database unavailable for %s %s: %s", request.method, request.path, first_line)
    if request.path.startswith("/api/"):
        response = HttpResponse(
            json.dumps({"detail": API_DETAIL}),
            status=503,
            content_type="application/json; charset=utf-8",
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None


def api_database_unavailable(request, exc, api=None):
    """NinjaAPI exception handler (config.api)."""
    return database_unavailable(request, exc)


def server_error(request):
    """handler500: a database error raised outside a view still answers 503."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        return database_unavailable(request, error)
    return defaults.server_error(request)
