"""One-machine defaults for `make run` and `python manage.py` from the checkout."""

import os
from pathlib import Path

import environ

# .env first (written by the set-up with random secrets), then dev-only
# fallbacks so that a bare checkout still imports.
environ.Env.read_env(Path(__file__).resolve().parents[2] / ".env", overwrite=False)
os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-local-only-key-do-not-use-in-production")
os.environ.setdefault("AWS_S3_ENDPOINT_URL", "http://127.0.0.1:8333")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "dev-access-key")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "dev-secret-key")
os.environ.setdefault("DJANGO_DEBUG", "true")

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import env  # noqa: E402

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# Serve front-end packages straight from their source folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
