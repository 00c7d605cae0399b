"""Suite-wide fixtures: a real SeaweedFS S3 per test session, on free ports.

PostgreSQL and Redis are the machine's own (see config/settings/test.py);
object storage is started here so that tests never touch a developer's data.
"""

import os
import random
import shutil
import socket
import subprocess
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from django.conf import settings

WEED = shutil.which("weed") or str(Path(__file__).resolve().parent.parent / ".venv/bin/weed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _weed_port_flags() -> tuple[list[str], int]:
    names = [
        "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
        "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port",
    ]  # fmt: skip
    ports = {name: free_port() for name in names[:-1]}
    # weed's built-in worker dials admin.port + 10000 whatever admin.port.grpc says,
    # so both of those must be free.
    while True:
        admin = random.randint(20000, 55000)
        if _is_free(admin) and _is_free(admin + 10000):
            ports["admin.port"], ports["admin.port.grpc"] = admin, admin + 10000
            break
    flags = [f"-{name}={port}" for name, port in ports.items()]
    return flags + ["-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false"], ports["s3.port"]


def process_group_stop(proc: subprocess.Popen, log) -> None:
    """SIGTERM a server started with start_new_session, SIGKILL after 10 s; close its log."""
    os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
    log.close()


class SeaweedServer:
    """`weed mini` with auth on, on free loopback ports, in its own process group.

    stop() and start() again keep the ports and the data directory: the same store comes
    back (the fault tests take it away in the middle of a transcode).
    """

    ACCESS_KEY, SECRET_KEY = "test-access-key", "test-secret-key"

    def __init__(self, data_dir: Path, *, bucket: str) -> None:
        self.data_dir, self.bucket = data_dir, bucket
        self.flags, self.s3_port = _weed_port_flags()
        self.endpoint = f"http://127.0.0.1:{self.s3_port}"
        self.proc: subprocess.Popen | None = None
        self.log = None
        self.client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.ACCESS_KEY,
            aws_secret_access_key=self.SECRET_KEY,
            region_name="us-east-1",
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def start(self, timeout: float = 60) -> "SeaweedServer":
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": self.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": self.SECRET_KEY,
        }
        self.log = open(self.data_dir / "weed.log", "ab")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                WEED,
                "mini",
                f"-dir={self.data_dir}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-master.telemetry=false",
                "-admin.ui=false",
                f"-bucket={self.bucket}",
                *self.flags,
            ],  # fmt: skip
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.client.head_bucket(Bucket=self.bucket)
                return self
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop(sig=9)
                    raise RuntimeError(
                        "SeaweedFS did not start: "
                        + (self.data_dir / "weed.log").read_text(errors="replace")[-2000:]
                    ) from None
                time.sleep(0.3)

    def stop(self, sig: int = 15) -> None:
        """Stop every weed process of the group (SIGKILL after 10 s) and close the log."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=10)
        if self.log is not None:
            self.log.close()
            self.log = None

    def settings_overrides(self) -> dict[str, str]:
        return {
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_PUBLIC_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": self.SECRET_KEY,
        }


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """Start `weed mini` with auth on, point the settings at it, and yield its endpoint."""
    data_dir = tmp_path_factory.mktemp("seaweedfs")
    server = SeaweedServer(data_dir, bucket=settings.AWS_STORAGE_BUCKET_NAME).start()
    overrides = server.settings_overrides()
    for name, value in overrides.items():
        setattr(settings, name, value)
    settings.STORAGES["default"]["OPTIONS"].update(
        endpoint_url=server.endpoint,
        access_key=server.ACCESS_KEY,
        secret_key=server.SECRET_KEY,
    )
    # Subprocesses started by tests (Celery workers, manage.py) see the same store.
    os.environ.update(overrides)
    yield {
        "endpoint": server.endpoint,
        "client": server.client,
        "bucket": server.bucket,
        "data_dir": data_dir,
    }
    server.stop()


@pytest.fixture
def s3(seaweedfs):
    """The boto3 client of the test SeaweedFS."""
    return seaweedfs["client"]


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for a manage.py/celery subprocess that must see this test's database."""
    from django.db import connection

    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url + db["NAME"],
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "AWS_S3_ENDPOINT_URL": settings.AWS_S3_ENDPOINT_URL,
        "AWS_S3_PUBLIC_ENDPOINT_URL": settings.AWS_S3_PUBLIC_ENDPOINT_URL,
        "AWS_ACCESS_KEY_ID": settings.AWS_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": settings.AWS_SECRET_ACCESS_KEY,
        **extra,
    }


class WorkerProcess:
    """A real Celery worker (with embedded beat) in its own process group."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env, self.log_path = env, log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        root = Path(__file__).resolve().parent.parent
        self.log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                str(root / ".venv/bin/celery"),
                "-A",
                "config",
                "worker",
                "-B",
                "-Q",
                "default,transcode",
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "--loglevel",
                "INFO",
                "--without-mingle",
                "--without-gossip",
                "-s",
                str(self.log_path.with_suffix(".beat")),
            ],  # fmt: skip
            cwd=root,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self, sig: int = 9) -> None:
        """Kill the whole worker (main process, pool children, ffmpeg) at once."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def celery_worker_factory(transactional_db, seaweedfs, tmp_path):
    """Start real workers against the test database, the test SeaweedFS and Redis.

    Needs transactional_db: the worker is another process and only sees
    committed rows. Extra env (e.g. short lease times) goes to the worker.
    """
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    workers: list[WorkerProcess] = []

    def start(**extra_env: str) -> WorkerProcess:
        log = tmp_path / f"worker-{len(workers)}.log"
        worker = WorkerProcess(subprocess_env(**extra_env), log).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def upload_through_multipart(path: Path, *, video=None, part_size: int | None = None):
    """Upload a local file the way the browser does: start, PUT presigned parts, complete.

    Returns the version in state "uploaded" (processing is queued on commit).
    """
    import urllib.request

    from media_pipeline.uploads.services import (
        video_create,
        video_upload_complete,
        video_upload_part_urls,
        video_upload_start,
    )

    video = video or video_create(title=path.name)
    version = video_upload_start(video=video, filename=path.name, size=path.stat().st_size)
    if part_size:
        version.upload_part_size = part_size
        version.save(update_fields=["upload_part_size"])
    with open(path, "rb") as source:
        number = 1
        while chunk := source.read(version.upload_part_size):
            url = video_upload_part_urls(version=version, part_numbers=[number])[number]
            request = urllib.request.Request(url, data=chunk, method="PUT")
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
            number += 1
    return video_upload_complete(version=version)


@pytest.fixture
def upload_file(seaweedfs):
    return upload_through_multipart


def http_status(url: str) -> int:
    """The status of a plain GET (no cookies, no auth): what a stranger's fetch gets."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def http_body(url: str) -> bytes:
    """The body of a plain GET that must succeed."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200, url
        return response.read()


# --- Stripe (localstripe) and e-mail (aiosmtpd): real servers on loopback -----------------
STRIPE_TEST_KEYS = {
    "STRIPE_SECRET_KEY": "sk_test_suite_localstripe",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_suite_localstripe",
    "STRIPE_WEBHOOK_SECRET": "whsec_test_suite_localstripe",
}


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """localstripe from scratch (state in memory) on a free loopback port, via the same
    launcher `make run` uses; settings and subprocesses point at it."""
    import urllib.request

    root = Path(__file__).resolve().parent.parent
    port = free_port()
    log_path = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    log = open(log_path, "wb")  # noqa: SIM115 (closed at teardown)
    proc = subprocess.Popen(
        [
            str(root / ".venv/bin/python"),
            str(root / "platform/fake_stripe.py"),
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(
                    "localstripe did not start: " + log_path.read_text()[-2000:]
                ) from None
            time.sleep(0.2)
    overrides = {
        **STRIPE_TEST_KEYS,
        "STRIPE_API_BASE": base,
        "STRIPE_JS_URL": f"{base}/js.stripe.com/v3/",
    }
    for name, value in overrides.items():
        setattr(settings, name, value)
    os.environ.update(overrides)
    yield {"base": base, "log": log_path}
    process_group_stop(proc, log)


@pytest.fixture
def stripe_webhooks(localstripe, live_server):
    """localstripe delivers its (signed) events to this test's live server."""
    from django.urls import reverse

    from courses.commerce.gateway import local_webhook_register

    local_webhook_register(url=live_server.url + reverse("commerce:stripe_webhook"))
    yield live_server
    # Point it nowhere, so later tests' events do not reach a server that is gone.
    local_webhook_register(url="http://127.0.0.1:9/")


class Mailbox:
    """What a real SMTP server on loopback received."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 OK"

    def wait_for(self, count: int = 1, timeout: float = 30.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.messages


@pytest.fixture
def smtp_server(settings):
    """An aiosmtpd server on a free port; Django's SMTP backend (and workers) send to it."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    mailbox.url = f"smtp://127.0.0.1:{port}"
    yield mailbox
    controller.stop()
