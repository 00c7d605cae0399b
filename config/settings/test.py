"""Settings for the test suite: real PostgreSQL and Redis on this machine.

The S3 endpoint and credentials are replaced at session start by the
SeaweedFS fixture in tests/conftest.py, which runs its own server on free ports.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/course_platform")
# Two Redis databases per xdist worker (the broker's, 1, 3, ... 11, and the cache's, the next
# one), so parallel sessions never share a queue or a cache; 15 and 14 belong to the
# runner's end-to-end test.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0"
os.environ.setdefault("REDIS_URL", f"redis://127.0.0.1:6379/{1 + 2 * (int(_worker) % 6)}")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "test-access-key")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test-secret-key")
os.environ.setdefault("AWS_S3_ENDPOINT_URL", "http://127.0.0.1:1")  # set by the fixture

from config.settings.base import *  # noqa: E402,F403

DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
WHITENOISE_USE_FINDERS = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MEDIA_X264_PRESET = env.str("MEDIA_X264_PRESET", default="ultrafast")  # noqa: F405
# A test database per test run, so that two runs on one machine (a developer's
# and CI's, or parallel sessions) never drop each other's database.
DATABASES["default"]["TEST"] = {"NAME": f"test_course_platform_{os.getpid()}"}  # noqa: F405
# Cached public pages would outlive a test's database in the shared Redis: off, except in
# the tests (and the benchmark) that turn it on.
PUBLIC_PAGE_CACHE_S = env.int("PUBLIC_PAGE_CACHE_S", default=0)  # noqa: F405
# Rate limits count in the shared Redis for the whole run, and every test client comes from
# 127.0.0.1: generous here; the tests of each limit set their own small one.
SIGNUPS_PER_IP_PER_HOUR = PASSWORD_RESETS_PER_IP_PER_HOUR = 100_000
COMMUNITY_POSTS_PER_IP = COMMUNITY_POSTS_PER_ACCOUNT = 100_000
ACCESS_CODE_MAX_FAILURES = ACCESS_CODE_MAX_FAILURES_PER_IP = 100_000
PLAYBACK_GRANTS_PER_HOUR = 100_000
