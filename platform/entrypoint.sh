#!/bin/sh
# Entrypoint of the platform image (platform/Dockerfile).
#
#   entrypoint.sh setup                 one-shot `manage.py platform_setup --no-demo`: migrate,
#                                       bucket + CORS, curriculum; compose runs it before the app
#   entrypoint.sh healthcheck web       exit 0 when GET /api/health answers 200
#   entrypoint.sh healthcheck worker    exit 0 when this container's Celery worker answers ping
#   entrypoint.sh healthcheck beat      exit 0 when the broker accepts a connection
#   entrypoint.sh <anything else>       exec'd as is (gunicorn ..., celery ..., python ...)
#
# Everything is exec'd so the real process is PID 1's direct child and receives Docker's
# SIGTERM itself (gunicorn and celery then shut down gracefully).
set -eu

case "${1:-}" in
setup)
    # The steps `make run` runs too (courses/management/commands/platform_setup.py), all
    # idempotent, so re-running the stack (or this service) is safe. No demo accounts here.
    exec python manage.py platform_setup --no-demo
    ;;
healthcheck)
    case "${2:-}" in
    web)
        exec python - <<'PY'
import os
import sys
import urllib.request

# Django answers 400 to a Host it does not allow, so ask with an allowed one; the
# X-Forwarded-Proto header keeps SECURE_SSL_REDIRECT from bouncing the probe to https.
allowed = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")]
host = next((h.lstrip(".") for h in allowed if h and h != "*"), "localhost")
request = urllib.request.Request(
    f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/api/health",
    headers={"Host": host, "X-Forwarded-Proto": "https"},
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as error:  # any failure means unhealthy; say why in `docker inspect`
    print(f"health check failed: {error}")
    sys.exit(1)
PY
        ;;
    worker)
        # Ping only this container's worker (node name celery@<container hostname>).
        exec celery -A config inspect ping --destination "celery@${HOSTNAME:-$(hostname)}" --timeout 10
        ;;
    beat)
        exec python -c 'from config.celery import app; app.connection_for_write().ensure_connection(max_retries=2, timeout=5)'
        ;;
    *)
        echo "usage: $0 healthcheck web|worker|beat" >&2
        exit 2
        ;;
    esac
    ;;
"")
    echo "usage: $0 setup | healthcheck web|worker|beat | <command> [args...]" >&2
    exit 2
    ;;
*)
    exec "$@"
    ;;
esac
