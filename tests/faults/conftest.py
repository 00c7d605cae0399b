"""Fault tests (issue 13): each test gets services of its own on loopback, and takes them away.

- ``redis_factory``: a redis-server on a free port with its own directory (``--save ""``;
  ``appendonly=True`` for the one that is stopped and must keep its queue, as compose does);
- ``fault_seaweedfs``: a SeaweedFS on free ports (tests/conftest.py's SeaweedServer), which
  ``stop()`` and ``start()`` bring back on the same ports and data directory;
- ``pg_cluster``: a PostgreSQL cluster of its own (initdb into a temporary directory, trust
  auth, a free port), started and stopped with pg_ctl;
- ``fault_worker_factory`` and ``web_server_factory``: Celery workers (WorkerProcess) and
  gunicorn (platform/gunicorn.conf.py) pointed at those services.

Every server runs in its own process group (or, for PostgreSQL, under pg_ctl) and is stopped
by its fixture, whatever the test did. Every wait has a deadline, and each test's body is
bounded by ``FAULT_TEST_LIMIT_S`` (SIGALRM), so a hang fails instead of holding the run.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
import requests

from tests.conftest import SeaweedServer, WorkerProcess, free_port, subprocess_env

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
PG_BIN = Path("/usr/local/bin")
FAULT_TEST_LIMIT_S = 150  # one test's body; the whole directory runs in ~2-3 min


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, logs=()):
    """Poll `predicate` every 0.2 s until it returns something true; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {name}:\n{text()[-3000:]}" for name, text in logs)
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{tails}")
        time.sleep(0.2)


def ffmpeg_running_for(version) -> bool:
    """Whether an ffmpeg process is working on this version (its paths name the version)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "ffmpeg" in args and str(version.pk) in args:
            return True
    return False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Each test's body within FAULT_TEST_LIMIT_S (SIGALRM). Only the body: the fixtures that
    start services have deadlines of their own, and their teardown must not be interrupted."""

    def expired(signum, frame):
        raise TimeoutError(f"fault test still running after {FAULT_TEST_LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(FAULT_TEST_LIMIT_S)
    try:
        return (yield)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --- Redis --------------------------------------------------------------------------------


class RedisServer:
    """redis-server on a free loopback port, its files in `directory`; restartable there."""

    def __init__(self, directory: Path, *, appendonly: bool = False) -> None:
        self.directory, self.appendonly = directory, appendonly
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = directory / "redis.log"

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 15) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "yes" if self.appendonly else "no",
                "--appendfsync",
                "always",
                "--logfile",
                str(self.log_path),
                "--daemonize",
                "no",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return self
            except redis.RedisError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop(sig=signal.SIGKILL)
                    raise RuntimeError(f"redis-server did not start: {self.log()}") from None
                time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def redis_factory(tmp_path):
    servers: list[RedisServer] = []

    def start(*, appendonly: bool = False) -> RedisServer:
        server = RedisServer(tmp_path / f"redis-{len(servers)}", appendonly=appendonly)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop(sig=signal.SIGKILL)


@contextlib.contextmanager
def celery_broker(url: str):
    """Point this process's Celery app (what video_upload_complete queues with) at `url`."""
    from config.celery import app

    def reset_pools() -> None:
        from kombu import pools

        # kombu keeps producer pools in a registry of its own, keyed by connection: closing
        # only the app's pool would leave the original broker's producers on a closed pool
        # for every later test of this session ("Acquire on closed pool").
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    reset_pools()
    app.conf.broker_url = url
    try:
        yield app
    finally:
        reset_pools()
        app.conf.broker_url = previous


# --- SeaweedFS ------------------------------------------------------------------------------


@pytest.fixture
def fault_seaweedfs(tmp_path, settings):
    """A SeaweedFS of this test's own; this process's storage settings point at it."""
    from media_pipeline.storage import _client

    data_dir = tmp_path / "seaweedfs"
    data_dir.mkdir()
    server = SeaweedServer(data_dir, bucket=settings.AWS_STORAGE_BUCKET_NAME)
    try:
        server.start()
        for name, value in server.settings_overrides().items():
            setattr(settings, name, value)
        storages = copy.deepcopy(settings.STORAGES)
        storages["default"]["OPTIONS"].update(
            endpoint_url=server.endpoint,
            access_key=server.ACCESS_KEY,
            secret_key=server.SECRET_KEY,
        )
        settings.STORAGES = storages
        _client.cache_clear()
        yield server
    finally:
        server.stop(sig=signal.SIGKILL)
        _client.cache_clear()


def service_env(*, redis_server: RedisServer, s3: SeaweedServer | None = None, **extra: str):
    """The environment of a worker or web server that uses this test's Redis (and S3)."""
    env = {
        "REDIS_URL": redis_server.url(0),
        "CELERY_BROKER_URL": redis_server.url(0),
        "CACHE_URL": redis_server.url(1),
        **(s3.settings_overrides() if s3 else {}),
        **extra,
    }
    return subprocess_env(**env)


@pytest.fixture
def fault_worker_factory(transactional_db, tmp_path):
    """Celery workers (with beat) against the test database and the given services.

    Needs transactional_db: the worker is another process and only sees committed rows;
    it is stopped before the test's rows are flushed.
    """
    workers: list[WorkerProcess] = []

    def start(env: dict[str, str]) -> WorkerProcess:
        worker = WorkerProcess(env, tmp_path / f"worker-{len(workers)}.log").start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


# --- the web server -----------------------------------------------------------------------


class WebServer:
    """gunicorn with the platform's config (platform/gunicorn.conf.py), on a free port."""

    def __init__(self, env: dict[str, str], log_path: Path, *, workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **env,
            "PORT": str(self.port),
            "WEB_BIND_HOST": "127.0.0.1",
            "WEB_CONCURRENCY": str(workers),
            "WEB_TIMEOUT": "30",
            "SITE_URL": self.url,
        }
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> WebServer:
        self.log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "-c",
                str(ROOT / "platform/gunicorn.conf.py"),
                "config.wsgi:application",
            ],  # fmt: skip
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def answers() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"gunicorn exited: {self.output()[-3000:]}")
            try:
                requests.get(self.url + "/accounts/login/", timeout=2)
            except requests.RequestException:
                return False
            return True

        wait_for(answers, timeout=timeout, what="gunicorn to answer", logs=[("web", self.output)])
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.proc is not None:
            self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def web_server_factory(tmp_path):
    servers: list[WebServer] = []

    def start(env: dict[str, str], *, workers: int = 2) -> WebServer:
        server = WebServer(env, tmp_path / f"web-{len(servers)}.log", workers=workers)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


# --- a PostgreSQL cluster of the test's own -------------------------------------------------


class PostgresCluster:
    """initdb into a temporary directory, trust auth, on a free loopback port.

    initdb and postgres refuse to run as root: as root they run as the `postgres` account,
    and the directory is made under /tmp (pytest's tmp_path is private to root).
    """

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data, self.log_path = self.base / "data", self.base / "postgres.log"
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            account = pwd.getpwnam(self.user)
            os.chown(self.base, account.pw_uid, account.pw_gid)

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(
            [*args],
            user=self.user,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.base,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}{self.log()}")

    def init(self) -> PostgresCluster:
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        return self

    def start(self) -> PostgresCluster:
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_path),
            "-w", "-t", "30", "-o", options, "start",
        )  # fmt: skip
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop"
        )

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def sql(self, dbname: str, statement: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def pg_cluster():
    cluster = PostgresCluster()
    try:
        yield cluster.init().start()
    finally:
        if cluster.running():
            with contextlib.suppress(Exception):
                cluster.stop(mode="immediate")
        shutil.rmtree(cluster.base, ignore_errors=True)


# --- learners over HTTP, sending beats as static/js/player/progress-beacon.js does --------------


def _round3(x: float) -> float:
    return round(x * 1000) / 1000


class Learner:
    """A browser's session: logs in through the form, browses, and sends progress beats.

    The beats follow static/js/player/progress-beacon.js (ProgressBeacon): what was played
    since the last beat goes into a new beat; unanswered beats are kept, and those waiting
    are merged into one before each send; a 200 settles a beat, and its
    ``deferred_ranges`` (beyond what the wall time allowed yet) go back into the next beat;
    400 drops it (refused: counted here, as those ranges are lost); a 5xx, 429 or no answer
    keeps it for the next send. Every request has a timeout, and every answer's status and
    time are recorded.
    """

    TIMEOUT_S = 15
    MAX_QUEUED = 10  # as the player

    def __init__(self, base_url: str, *, lesson_id: int) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.progress_url = f"{base_url}/api/lessons/{lesson_id}/progress"
        self.tab = uuid.uuid4().hex[:12]
        self.count = 0
        self.pending: list[list[float]] = []  # played, not in a beat yet (PlayedRanges)
        self.position = 0.0
        self.last_position: float | None = None
        self.queue: list[dict] = []
        self.played: list[list[float]] = []  # everything played: what must end up stored
        self.refused: list[tuple[dict, str]] = []
        self.deferred = 0
        self.answers: list[tuple[str, int, float]] = []  # (what, status or 0, seconds)

    def _request(self, what: str, method: str, path_or_url: str, **kwargs) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        started = time.monotonic()
        try:
            response = self.http.request(method, url, timeout=self.TIMEOUT_S, **kwargs)
        except requests.RequestException:
            self.answers.append((what, 0, time.monotonic() - started))
            raise
        self.answers.append((what, response.status_code, time.monotonic() - started))
        return response

    def get(self, path: str) -> requests.Response:
        return self._request(f"GET {path}", "GET", path, allow_redirects=False)

    def csrf_token(self) -> str:
        return self.http.cookies.get("csrftoken", "")

    def log_in(self, username: str, password: str) -> requests.Response:
        self.get("/accounts/login/")
        return self._request(
            "POST /accounts/login/",
            "POST",
            "/accounts/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.csrf_token(),
            },
            allow_redirects=False,
        )

    def log_out(self) -> requests.Response:
        return self._request(
            "POST /accounts/logout/",
            "POST",
            "/accounts/logout/",
            data={"csrfmiddlewaretoken": self.csrf_token()},
            allow_redirects=False,
        )

    # -- beats ---------------------------------------------------------------------------
    def play(self, start: float, end: float) -> None:
        """The video played from `start` to `end` (media seconds)."""
        self.played.append([start, end])
        tail = self.pending[-1] if self.pending else None
        if tail and abs(tail[1] - start) < 1e-6:
            tail[1] = end
        else:
            self.pending.append([start, end])
        self.position = end

    def _next_beat(self) -> dict | None:
        ranges = [[_round3(s), _round3(e)] for s, e in self.pending]
        ranges = [r for r in ranges if r[1] > r[0]]
        self.pending = []
        position = _round3(self.position)
        if not ranges and position == self.last_position:
            return None
        self.last_position = position
        self.count += 1
        return {
            "position_s": position,
            "ranges": ranges,
            "playback_rate": 1,
            "client_ts": int(time.time() * 1000),
            "beat_id": f"{self.tab}-{self.count}",
        }

    def _merge_queued(self) -> None:
        """mergeQueued(): the beats waiting (none is on its way here) become one."""
        if len(self.queue) < 2:
            return
        ranges: list[list[float]] = []
        for start, end in (r for beat in self.queue for r in beat["ranges"]):
            if ranges and abs(ranges[-1][1] - start) < 1e-6:
                ranges[-1][1] = end
            else:
                ranges.append([start, end])
        self.count += 1
        self.queue = [{**self.queue[-1], "ranges": ranges, "beat_id": f"{self.tab}-{self.count}m"}]

    def send(self) -> list[int]:
        """Queue what was played, then send the queue until a beat is not settled; the
        statuses seen."""
        if beat := self._next_beat():
            self.queue.append(beat)
        self._merge_queued()
        self.queue = self.queue[-self.MAX_QUEUED :]
        statuses = []
        while self.queue:
            self._merge_queued()
            beat = self.queue[0]
            try:
                response = self._request(
                    "beat",
                    "POST",
                    self.progress_url,
                    data=json.dumps(beat),
                    headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf_token()},
                )
            except requests.RequestException:
                statuses.append(0)
                break
            statuses.append(response.status_code)
            if response.status_code == 200:
                self.queue.pop(0)
                deferred = response.json().get("deferred_ranges") or []
                if deferred:
                    self.deferred += 1
                    self.pending[:0] = [list(r) for r in deferred]
            elif response.status_code == 400:
                self.refused.append((self.queue.pop(0), response.text))
            elif response.status_code >= 500 or response.status_code == 429:
                break
            else:
                raise AssertionError(f"beat answered {response.status_code}: {response.text}")
        return statuses

    def settled(self) -> bool:
        """Nothing queued and nothing deferred: everything played has been recorded."""
        return not self.queue and not self.pending


class Player:
    """Plays a lesson at 1x in real time; each tick plays the wall time since the last one
    and sends (the player's timer, every 10 s, here every tick)."""

    def __init__(self, learner: Learner, *, duration_s: float) -> None:
        self.learner, self.duration_s = learner, duration_s
        self.last = time.monotonic()

    def tick(self) -> list[int]:
        now = time.monotonic()
        start = self.learner.position
        end = min(self.duration_s, start + (now - self.last))
        self.last = now
        if end > start:
            self.learner.play(start, end)
        return self.learner.send()


def union(ranges: list[list[float]]) -> list[list[float]]:
    merged: list[list[float]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1e-3:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def assert_same_ranges(recorded, sent, *, tolerance: float = 0.01) -> None:
    """The stored union covers exactly what was sent (to the millisecond rounding)."""
    expected, actual = union(sent), union([list(r) for r in recorded])
    assert len(actual) == len(expected), (actual, expected)
    for (a0, a1), (e0, e1) in zip(actual, expected, strict=True):
        assert abs(a0 - e0) <= tolerance and abs(a1 - e1) <= tolerance, (actual, expected)
