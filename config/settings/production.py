"""Production: every secret comes from the environment, with no default."""

import os

from django.core.exceptions import ImproperlyConfigured

# Named here so that tests can check docker-compose.yml provides each of them.
REQUIRED_ENV = (
    "EMAIL_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_STORAGE_BUCKET_NAME",
)
_missing = [name for name in REQUIRED_ENV if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: " + ", ".join(_missing)
    )

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import env  # noqa: E402

DEBUG = False
# Password-reset links and receipts printed to a log, or kept in memory, reach nobody: a
# console or locmem backend means EMAIL_URL was forgotten.
if EMAIL_BACKEND.rsplit(".", 2)[-2] in ("console", "locmem", "dummy"):  # noqa: F405
    raise ImproperlyConfigured(
        "Production needs a real mail server: set EMAIL_URL (e.g. smtp+tls://user:password@"
        f"smtp.example.org:587); {EMAIL_BACKEND} would lose password resets and receipts."  # noqa: F405
    )
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^api/health$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# courses.commerce.checks: no start (migrate, check --deploy, gunicorn) while a course has a
# price and STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY or STRIPE_WEBHOOK_SECRET is missing.
STRIPE_KEYS_REQUIRED = True
