"""GET /api/health: is each backing service answering?"""

import logging
import time

from django.db import connection
from ninja import Router, Schema, Status

from config.celery import app as celery_app
from config.outage import DATABASE_ERRORS
from media_pipeline.storage import storage_ping

router = Router(tags=["health"])
logger = logging.getLogger(__name__)


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "down"; say which
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def _check_broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
    except Exception as exc:
        return str(exc) or type(exc).__name__
    return None


def _check_storage() -> str | None:
    try:
        storage_ping()
    except Exception as exc:
        return str(exc) or type(exc).__name__
    return None


class ServiceState(Schema):
    ok: bool
    error: str | None = None


class HealthOut(Schema):
    status: str
    database: ServiceState
    broker: ServiceState
    storage: ServiceState


HEALTH_CACHE_S = 3.0  # load balancers probe often; a brownout must not cost a call each time
_last: tuple[float, dict] | None = None


def _checks() -> dict[str, str | None]:
    global _last
    now = time.monotonic()
    if _last is not None and now - _last[0] < HEALTH_CACHE_S:
        return _last[1]
    checks = {
        "database": _check_database(),
        "broker": _check_broker(),
        "storage": _check_storage(),
    }
    for name, error in checks.items():
        if error:
            logger.warning("health: %s is down: %s", name, error)
    _last = (time.monotonic(), checks)
    return checks


@router.get("/health", auth=None, response={200: HealthOut, 503: HealthOut})
def health(request):
    """ok/down per service for anyone (load balancers); why, only in the log and for staff.

    The error text names hosts, ports and database users: not for the public.
    """
    checks = _checks()
    try:
        show_detail = request.user.is_authenticated and request.user.is_staff
    except DATABASE_ERRORS:  # the user's row is in the database that is down: say so anyway
        show_detail = False
    body = {
        name: {"ok": error is None, "error": error if show_detail else None}
        for name, error in checks.items()
    }
    down = [name for name, error in checks.items() if error]
    body["status"] = "ok" if not down else "down: " + ", ".join(down)
    return Status(503 if down else 200, body)
