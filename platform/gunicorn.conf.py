"""Gunicorn settings shared by `make run` (platform/Procfile) and the Docker image.

Every value can be tuned from the environment so that the same file serves a laptop
(make run binds 127.0.0.1 and asks for 2 workers) and a container (0.0.0.0, sized by cores).
Command-line flags (e.g. the Procfile's ``--bind``) override what is set here.
"""

import os

# More workers than this rarely helps a sync Django app and only multiplies memory:
# past it, scale out with more containers instead.
MAX_DEFAULT_WORKERS = 8


def _int_from_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise SystemExit(f"gunicorn.conf.py: {name} must be an integer, got {raw!r}") from error


def _usable_cores() -> int:
    # sched_getaffinity honours container CPU pinning; os.cpu_count() reports the host.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no sched_getaffinity
        return os.cpu_count() or 1


bind = [f"{os.environ.get('WEB_BIND_HOST', '0.0.0.0')}:{_int_from_env('PORT', 8000)}"]
workers = _int_from_env("WEB_CONCURRENCY", min(2 * _usable_cores() + 1, MAX_DEFAULT_WORKERS))

# Uploads and downloads go straight to S3 with presigned URLs, so no request should need
# long; a worker stuck past this is killed and replaced.
timeout = _int_from_env("WEB_TIMEOUT", 60)
# How long SIGTERM waits for in-flight requests; kept below Docker's kill delay (make run
# asks for 4 s: honcho kills what is left after 5 s).
graceful_timeout = _int_from_env("WEB_GRACEFUL_TIMEOUT", 8)
keepalive = _int_from_env("WEB_KEEPALIVE", 5)

# Recycle workers now and then so a slow leak never takes the site down.
max_requests = _int_from_env("WEB_MAX_REQUESTS", 1000)
max_requests_jitter = max(max_requests // 10, 0)

# Logs go to stdout/stderr: make run copies them to .data/logs/web.log, Docker to its log driver.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")

# Only trust X-Forwarded-* from these addresses (a reverse proxy in front of gunicorn).
# Set FORWARDED_ALLOW_IPS to the proxy's address in production; "*" only behind a proxy
# that every request must pass through.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The worker heartbeat file lives on a tmpfs when there is one: in Docker /tmp is the
# overlay filesystem, and a slow fsync there makes the arbiter think workers hang.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Gunicorn >= 25 opens a control socket at ~/.gunicorn/gunicorn.ctl by default: two
# instances on one machine (make run next to the test suite) would fight over it, and the
# image's user may have no writable home. Open it only where asked for.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket


def post_worker_init(worker):
    # `make run` (platform/preflight.py) hands over the URLs to print once the first worker
    # has loaded Django and can answer.
    if worker.age == 1 and os.environ.get("PLATFORM_READY_MESSAGE"):
        print(os.environ["PLATFORM_READY_MESSAGE"], flush=True)
