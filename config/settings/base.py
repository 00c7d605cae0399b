"""Settings shared by every environment; values come from the environment.

Local defaults are safe for one machine. Production secrets have no default:
config.settings.production refuses to start without them.
"""

import urllib.parse
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# The set-up writes .env (secret key, dev S3 credentials, broker fallback) so
# that `python manage.py ...` from the checkout reaches the same services as
# the running platform. Real environment variables win over the file.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("PLATFORM_DATA_DIR", default=str(BASE_DIR / ".data")))

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "media_pipeline",
    "courses",
    "axes",  # login lockout by account and by IP
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    # A database that cannot be reached answers 503 with Retry-After, not 500 (config.outage).
    "config.outage.DatabaseOutageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The anonymous preview viewer's signed cookie (instead of a session per visitor).
    "media_pipeline.delivery.middleware.ViewerCookieMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Every login is counted: the first backend refuses a locked-out account or IP before the
# ~1,000,000 PBKDF2 iterations are spent, which also caps the CPU an attacker can burn.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
# Locked by account and, separately, by IP (either one locks): a password spray from one
# address and a slow guess at one account from many are both stopped.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "courses.client_ip.client_ip_address"  # behind the trusted proxy
AXES_DISABLE_ACCESS_LOG = True  # failures are what count; no row per successful log-in
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Sign-ups and password-reset e-mails per IP per hour (courses.accounts.views).
SIGNUPS_PER_IP_PER_HOUR = env.int("SIGNUPS_PER_IP_PER_HOUR", default=10)
# Certificates of completion: the PDF's font folder (Debian's fonts-dejavu-core) and how long
# a download link works.
CERTIFICATE_FONT_DIR = env.str("CERTIFICATE_FONT_DIR", default="/usr/share/fonts/truetype/dejavu")
CERTIFICATE_URL_TTL_S = env.int("CERTIFICATE_URL_TTL_S", default=300)
REMINDER_BATCH_SIZE = env.int("REMINDER_BATCH_SIZE", default=200)
# Offline downloads of lesson videos: per learner per 24 hours, and how long a link works.
DOWNLOADS_PER_DAY = env.int("DOWNLOADS_PER_DAY", default=10)
DOWNLOAD_URL_TTL_S = env.int("DOWNLOAD_URL_TTL_S", default=300)
# How long a sign-up's confirmation link works (the account exists once it is opened).
SIGNUP_LINK_MAX_AGE_S = env.int("SIGNUP_LINK_MAX_AGE_S", default=2 * 24 * 3600)
PASSWORD_RESETS_PER_IP_PER_HOUR = env.int("PASSWORD_RESETS_PER_IP_PER_HOUR", default=5)
# The admin's address: move it off the default with DJANGO_ADMIN_URL (e.g. "backoffice-7f3a/").
ADMIN_URL = env.str("DJANGO_ADMIN_URL", default="admin/")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # After Django's csrf processor: cached public pages get a placeholder.
                "courses.pagecache.csrf_context",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker and the web server write at the same time; WAL plus a busy
    # timeout keeps SQLite from failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound on the server, so PostgreSQL can prepare a statement once it has
    # run this many times on a connection (the player's heartbeat read and write most of
    # all; see courses/learning/progress/heartbeat/db.py). Set the threshold empty behind
    # a transaction-mode PgBouncer, which cannot keep prepared statements.
    _prepare_threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="5").strip()
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=int(_prepare_threshold) if _prepare_threshold else None,
        # A database host that does not answer (restarting, failing over, unreachable) makes
        # a request fail within seconds with a 503 (config.outage), instead of holding a web
        # worker for the operating system's TCP timeout. libpq counts whole seconds, >= 2.
        connect_timeout=env.int("DATABASE_CONNECT_TIMEOUT_S", default=3),
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "courses:dashboard"
LOGOUT_REDIRECT_URL = "courses:catalog"

# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587; by default mail is printed.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DJANGO_DEFAULT_FROM_EMAIL", default="Course platform <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in e-mails (receipts), which have no request to build them from.
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")

# --- Selling (courses.commerce) ------------------------------------------------
# Real keys in production (the system check refuses to start without them while a course
# has a price). `make run` and the tests point STRIPE_API_BASE at a local localstripe and
# STRIPE_JS_URL at its stand-in Stripe.js; empty STRIPE_API_BASE means api.stripe.com.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
STRIPE_TIMEOUT_S = env.float("STRIPE_TIMEOUT_S", default=20.0)
STRIPE_WEBHOOK_TOLERANCE_S = env.int("STRIPE_WEBHOOK_TOLERANCE_S", default=300)
STRIPE_KEYS_REQUIRED = False  # production.py: True
# --- Comments and questions (courses.community) ---------------------------------
COMMUNITY_MIN_FORM_SECONDS = env.float("COMMUNITY_MIN_FORM_SECONDS", default=3.0)
COMMUNITY_MAX_FORM_SECONDS = env.int("COMMUNITY_MAX_FORM_SECONDS", default=2 * 24 * 3600)
COMMUNITY_MAX_LINKS = env.int("COMMUNITY_MAX_LINKS", default=3)
COMMUNITY_MAX_CHARS = env.int("COMMUNITY_MAX_CHARS", default=5000)
# Posts (comments, questions, replies) per window, per IP and per account.
COMMUNITY_POSTS_PER_IP = env.int("COMMUNITY_POSTS_PER_IP", default=10)
COMMUNITY_POSTS_PER_ACCOUNT = env.int("COMMUNITY_POSTS_PER_ACCOUNT", default=20)
COMMUNITY_POST_WINDOW_S = env.int("COMMUNITY_POST_WINDOW_S", default=3600)
COMMUNITY_DIGEST_INTERVAL_S = env.int("COMMUNITY_DIGEST_INTERVAL_S", default=3600)
ARTICLE_COVER_URL_TTL_S = env.int("ARTICLE_COVER_URL_TTL_S", default=24 * 3600)
# Anonymous visitors' public pages from the cache (courses.pagecache); 0 turns it off. Only
# with a cache every process shares (Redis, below): invalidation must reach them all.
PUBLIC_PAGE_CACHE_S = 0

# Reverse proxies in front of the app that append to X-Forwarded-For (courses.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Wrong single-use codes allowed per account, and per IP (a classroom shares one), per window.
ACCESS_CODE_MAX_FAILURES = env.int("ACCESS_CODE_MAX_FAILURES", default=10)
ACCESS_CODE_MAX_FAILURES_PER_IP = env.int("ACCESS_CODE_MAX_FAILURES_PER_IP", default=30)
ACCESS_CODE_FAILURE_WINDOW_S = env.int("ACCESS_CODE_FAILURE_WINDOW_S", default=3600)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end packages come from the npm registry (package-lock.json);
    # only their built files are exposed as static files.
    ("vendor/hls.js", BASE_DIR / "node_modules" / "hls.js" / "dist"),
]
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {},  # filled in below from the AWS_* settings
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# --- Object storage (S3 API: SeaweedFS locally, any S3 in production) -------
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
# Browsers may reach the store under another name than the servers do
# (e.g. http://seaweedfs:8333 inside compose vs a public host).
AWS_S3_PUBLIC_ENDPOINT_URL = env.str("AWS_S3_PUBLIC_ENDPOINT_URL", default="") or (
    AWS_S3_ENDPOINT_URL
)
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID")
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY")
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="course-media")
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="us-east-1")
AWS_S3_ADDRESSING_STYLE = env.str("AWS_S3_ADDRESSING_STYLE", default="path")
STORAGES["default"]["OPTIONS"] = {
    "endpoint_url": AWS_S3_ENDPOINT_URL,
    "access_key": AWS_ACCESS_KEY_ID,
    "secret_key": AWS_SECRET_ACCESS_KEY,
    "bucket_name": AWS_STORAGE_BUCKET_NAME,
    "region_name": AWS_S3_REGION_NAME,
    "addressing_style": AWS_S3_ADDRESSING_STYLE,
    "signature_version": "s3v4",
    "default_acl": None,  # never public: the bucket policy decides, and it grants nothing
    "querystring_auth": True,
    "file_overwrite": False,
}

# --- Celery -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")


def _redis_next_db_url(url: str) -> str:
    """``url`` with the next database number (redis://h:6379/0 -> redis://h:6379/1)."""
    parts = urllib.parse.urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{(db + 1) % 16}"))


CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_BROKER_FILESYSTEM_DIR = Path(
    env.str("CELERY_BROKER_FILESYSTEM_DIR", default=str(DATA_DIR / "broker"))
)
MEDIA_TRANSCODE_HARD_TIME_LIMIT_S = env.int("MEDIA_TRANSCODE_HARD_TIME_LIMIT_S", default=6 * 3600)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # One-machine fallback when no Redis answers: messages are files under .data/.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_FILESYSTEM_DIR / "processed"),
        # kombu puts this one relative to the working directory unless told.
        "control_folder": str(CELERY_BROKER_FILESYSTEM_DIR / "control"),
        "store_processed": False,
    }
    for _name in ("queue", "processed", "control"):  # kombu does not create them
        (CELERY_BROKER_FILESYSTEM_DIR / _name).mkdir(parents=True, exist_ok=True)
else:
    # Redis redelivers a message not acknowledged within visibility_timeout;
    # it must outlast the longest transcode or a running job starts twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": MEDIA_TRANSCODE_HARD_TIME_LIMIT_S + 3600,
    }
# Task modules outside an app's top level (autodiscovery finds only media_pipeline.tasks).
CELERY_IMPORTS = [
    "courses.accounts.tasks",
    "courses.certificates.tasks",
    "courses.commerce.tasks",
    "courses.community.tasks",
    "courses.reminders.tasks",
]
CELERY_TASK_IGNORE_RESULT = True  # state lives in the database, not in a result backend
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"media_pipeline.tasks.video_version_process": {"queue": "transcode"}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Weekly reminders go in batches through the day; each learner gets one a week at most.
    "reminders-send": {
        "task": "courses.reminders.tasks.reminders_send",
        "schedule": env.int("REMINDER_INTERVAL_S", default=3600),
    },
    "accounts-sessions-clear": {
        "task": "courses.accounts.tasks.sessions_clear",
        "schedule": env.int("SESSIONS_CLEAR_INTERVAL_S", default=24 * 3600),
    },
    "commerce-receipts-unsent": {
        "task": "courses.commerce.tasks.receipts_unsent_send",
        "schedule": env.int("RECEIPTS_SWEEP_INTERVAL_S", default=900),
    },
    "community-moderation-digest": {
        "task": "courses.community.tasks.moderation_digest_send",
        "schedule": env.int("COMMUNITY_DIGEST_INTERVAL_S", default=3600),
    },
    "media-stuck-versions-sweep": {
        "task": "media_pipeline.tasks.stuck_versions_sweep",
        "schedule": env.int("MEDIA_SWEEP_INTERVAL_S", default=300),
    },
}

# --- Cache and sessions -------------------------------------------------------
# Every request that reads the session would otherwise cost a database query.
# With Redis, the cache every web process shares, sessions are read from it and
# written to the database too (cached_db: a flushed cache logs nobody out). A
# per-process cache would keep a logged-out session alive in the other workers,
# so without Redis (the filesystem-broker fallback) sessions stay in the database.
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHE_URL = env.str("CACHE_URL", default=_redis_next_db_url(CELERY_BROKER_URL))
    if CACHE_URL == CELERY_BROKER_URL:
        raise ImproperlyConfigured(
            "CACHE_URL must name another Redis database than CELERY_BROKER_URL "
            "(e.g. redis://host:6379/1 for the cache, /0 for the broker)."
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Not the broker's database: flushing or evicting the cache never touches queued
            # work. Give the instance `maxmemory` with `maxmemory-policy volatile-lru`
            # (README, "Redis"): cache and session keys all expire, so only they are evicted;
            # the broker's queues have no expiry and stay.
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "cache",
            # A hung Redis must not hold a web worker: fail fast, and go on without it.
            "OPTIONS": {
                "socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT_S", default=0.5),
                "socket_timeout": env.float("CACHE_TIMEOUT_S", default=0.5),
            },
        }
    }
    # cached_db that falls back to the database when Redis is down (no 500s, nobody logged out)
    SESSION_ENGINE = "courses.accounts.sessions"
    PUBLIC_PAGE_CACHE_S = env.int("PUBLIC_PAGE_CACHE_S", default=600)

# --- Media pipeline ---------------------------------------------------------
MEDIA_UPLOAD_MAX_BYTES = env.int("MEDIA_UPLOAD_MAX_BYTES", default=20 * 1000**3)
MEDIA_UPLOAD_PART_BYTES = env.int("MEDIA_UPLOAD_PART_BYTES", default=16 * 1024 * 1024)
MEDIA_MAX_DURATION_S = env.int("MEDIA_MAX_DURATION_S", default=4 * 3600)
MEDIA_MAX_WIDTH = env.int("MEDIA_MAX_WIDTH", default=3840)
MEDIA_MAX_HEIGHT = env.int("MEDIA_MAX_HEIGHT", default=2160)
MEDIA_MAX_ATTEMPTS = env.int("MEDIA_MAX_ATTEMPTS", default=3)
MEDIA_STUCK_AFTER_S = env.int("MEDIA_STUCK_AFTER_S", default=1800)
MEDIA_WORK_DIR = Path(env.str("MEDIA_WORK_DIR", default=str(DATA_DIR / "transcode")))
MEDIA_X264_PRESET = env.str("MEDIA_X264_PRESET", default="veryfast")
# Capped CRF: a quality target per rung ("<minimum short side>=<crf>", e.g. "720=22,480=21,0=20")
# under each rung's bitrate ceiling; "abr" restores the fixed-average ladder (see ladder.py).
MEDIA_RATE_CONTROL = env.str("MEDIA_RATE_CONTROL", default="crf")
MEDIA_X264_CRF = env.str("MEDIA_X264_CRF", default="720=21,480=19,0=18")
# Poster and seek-preview sprite: skipped (never fatal) when ffmpeg takes longer than this.
MEDIA_ARTIFACT_TIMEOUT_S = env.float("MEDIA_ARTIFACT_TIMEOUT_S", default=600)
# Short, so that a refund or unenrollment ends access within minutes: grants are re-asked
# (and access re-checked) when they expire; the player renews them without a visible stop.
MEDIA_SIGNED_URL_TTL_S = env.int("MEDIA_SIGNED_URL_TTL_S", default=15 * 60)
# Playback grants per viewer (account, else IP) per hour: a player needs about 4 per hour
# of watching plus some for seeks and errors; a copier minting URLs needs far more.
PLAYBACK_GRANTS_PER_HOUR = env.int("PLAYBACK_GRANTS_PER_HOUR", default=300)

# --- Learner progress (rules in courses/learning/progress/rules.py; defaults only here)
# Share of a lesson's current duration that must have been played to complete it.
PROGRESS_COMPLETE_RATIO = env.float("PROGRESS_COMPLETE_RATIO", default=0.9)
# Fastest speed the player offers; beats may claim at most this x wall time (+ slack).
PROGRESS_MAX_RATE = env.float("PROGRESS_MAX_RATE", default=2.0)
PROGRESS_SLACK_S = env.float("PROGRESS_SLACK_S", default=15.0)
PROGRESS_FIRST_BEAT_MAX_S = env.float("PROGRESS_FIRST_BEAT_MAX_S", default=40.0)
PROGRESS_MAX_INTERVALS = env.int("PROGRESS_MAX_INTERVALS", default=500)
# A position this close to the end resumes at 0 (the learner finished).
PROGRESS_RESUME_TAIL_S = env.float("PROGRESS_RESUME_TAIL_S", default=10.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # The stripe SDK logs every request at INFO; its failures reach us as exceptions.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "stripe": {"level": "WARNING"}},
}
MEDIA_LEASE_TTL_S = env.int("MEDIA_LEASE_TTL_S", default=120)
MEDIA_UPLOAD_ABANDONED_AFTER_S = env.int("MEDIA_UPLOAD_ABANDONED_AFTER_S", default=7 * 24 * 3600)
# Origins whose pages upload straight to the bucket (CORS on the bucket).
MEDIA_UPLOAD_CORS_ORIGINS = env.list(
    "MEDIA_UPLOAD_CORS_ORIGINS",
    default=[
        f"http://127.0.0.1:{env.int('PORT', default=8000)}",
        f"http://localhost:{env.int('PORT', default=8000)}",
    ],
)
