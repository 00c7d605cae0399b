"""platform/run.py, the `make run` process runner.

The end-to-end test starts the real runner from the repository root, with free ports, a
temporary data dir and sqlite database, and Redis db 15; waits for the site; checks that
S3 refuses unsigned reads but serves presigned ones; then sends SIGINT and checks that the
runner exits 0 and that every process it started is gone. The other tests cover the
clean refusal of a taken port and the .env broker bookkeeping, in-process.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNER = REPO_ROOT / "platform" / "run.py"
# The catalog: answering 200 proves migrations ran and the curriculum was loaded.
READY_PATH = "/"
STARTUP_TIMEOUT = 120
STOP_TIMEOUT = 60
TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
BUCKET = "course-media"


# --------------------------------------------------------------------------- helpers


def load_runner_module():
    """Import platform/run.py by path (the `platform` folder is deliberately no package)."""
    spec = importlib.util.spec_from_file_location("platform_run_under_test", RUNNER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """Ports free right now, held open together so none is handed out twice."""
    sockets = []
    try:
        for _ in range(count):
            held = socket.socket()
            held.bind(("127.0.0.1", 0))
            sockets.append(held)
        return [held.getsockname()[1] for held in sockets]
    finally:
        for held in sockets:
            held.close()


def free_admin_port(taken: set[int]) -> int:
    """SeaweedFS's admin port drags its gRPC port (+10000) along: both must be free."""
    for _ in range(200):
        candidate = 20000 + secrets.randbelow(25000)
        pair = {candidate, candidate + 10000}
        if not pair & taken and all(port_is_free(port) for port in pair):
            return candidate
    raise RuntimeError("no free pair of ports for the SeaweedFS admin server")


def runner_environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    web, s3, master, volume, filer, *grpc = free_ports(9)
    admin = free_admin_port({web, s3, master, volume, filer, *grpc})
    env = dict(os.environ)
    # pytest-django's test settings must not leak into the runner's children, and the
    # runner must pick the broker itself.
    for name in ("DJANGO_SETTINGS_MODULE", "CELERY_BROKER_URL", "DATABASE_URL"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        PLATFORM_DATA_DIR=str(tmp_path / "data"),
        PLATFORM_ENV_FILE=str(tmp_path / "runner.env"),  # keep the checkout's .env untouched
        PLATFORM_QUIET="1",
        PLATFORM_STOP_GRACE="15",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=TEST_REDIS_URL,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        AWS_ACCESS_KEY_ID=f"test-{secrets.token_hex(6)}",
        AWS_SECRET_ACCESS_KEY=secrets.token_urlsafe(24),
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        PORT=str(web),
        AWS_S3_ENDPOINT_URL=f"http://127.0.0.1:{s3}",
        AWS_S3_PUBLIC_ENDPOINT_URL=f"http://127.0.0.1:{s3}",
        SEAWEEDFS_MASTER_PORT=str(master),
        SEAWEEDFS_VOLUME_PORT=str(volume),
        SEAWEEDFS_FILER_PORT=str(filer),
        SEAWEEDFS_ADMIN_PORT=str(admin),
        SEAWEEDFS_MASTER_GRPC_PORT=str(grpc[0]),
        SEAWEEDFS_VOLUME_GRPC_PORT=str(grpc[1]),
        SEAWEEDFS_FILER_GRPC_PORT=str(grpc[2]),
        SEAWEEDFS_S3_GRPC_PORT=str(grpc[3]),
    )
    env.update(overrides)
    return env


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def process_table() -> dict[int, tuple[str, int, int]]:
    """pid -> (state, parent pid, process group) for every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        table[int(entry.name)] = (fields[0], int(fields[1]), int(fields[2]))
    return table


def descendants(root: int) -> set[int]:
    table = process_table()
    found, frontier = set(), {root}
    while frontier:
        children = {pid for pid, (_, ppid, _) in table.items() if ppid in frontier}
        frontier = children - found
        found |= children
    return found


def living(pids: set[int], groups: set[int]) -> list[str]:
    """The given pids, and members of the given groups, that still exist (zombies aside)."""
    return [
        f"pid {pid} (state {state}, group {pgrp})"
        for pid, (state, _, pgrp) in process_table().items()
        if state != "Z" and (pid in pids or pgrp in groups)
    ]


def output_tail(path: Path, lines: int = 40) -> str:
    """The runner's console output, then the end of each child's log, for failures."""
    parts = [path, *sorted((path.parent / "data" / "logs").glob("*.log"))]
    report = []
    for part in parts:
        if part.exists():
            tail = part.read_text(errors="replace").splitlines()[-lines:]
            report.append(f"---- {part.name}\n" + "\n".join(tail))
    return "\n".join(report)


def kill_leftovers(runner: subprocess.Popen, groups: set[int]) -> None:
    for pgid in {runner.pid, *groups}:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    runner.wait(timeout=10)


# --------------------------------------------------------------------------- end to end


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="process checks read /proc (Linux)")
def test_runner_starts_the_platform_and_stops_everything_on_sigint(tmp_path):
    env = runner_environment(tmp_path)
    port, s3_endpoint = env["PORT"], env["AWS_S3_ENDPOINT_URL"]
    pidfile = tmp_path / "data" / "run" / "processes.json"
    console = tmp_path / "runner-output.txt"
    with console.open("wb") as output:
        runner = subprocess.Popen(
            [sys.executable, str(RUNNER)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our own SIGINT, not the terminal's, stops it
        )
    groups: set[int] = set()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while http_status(f"http://127.0.0.1:{port}{READY_PATH}") != 200:
            assert runner.poll() is None, (
                f"runner exited with {runner.returncode} before the site answered:\n"
                + output_tail(console)
            )
            assert time.monotonic() < deadline, (
                f"no 200 from {READY_PATH} within {STARTUP_TIMEOUT}s:\n" + output_tail(console)
            )
            time.sleep(0.5)

        record = json.loads(pidfile.read_text())
        assert record["runner"] == runner.pid
        started = {entry["name"]: entry for entry in record["processes"]}
        assert {"seaweedfs", "worker", "web"} <= set(started), started
        groups = {entry["pgid"] for entry in started.values()}
        # Everything below the runner now: gunicorn workers, celery's pool, ...
        tracked = descendants(runner.pid) | {runner.pid}
        assert {entry["pid"] for entry in started.values()} <= tracked

        check_s3_auth_is_enforced(s3_endpoint, env)

        runner.send_signal(signal.SIGINT)
        exit_code = runner.wait(timeout=STOP_TIMEOUT)
        assert exit_code == 0, output_tail(console)
        deadline = time.monotonic() + 5  # the last exits may still be settling
        while (left := living(tracked, groups)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"still running after the runner exited: {left}"
        assert "Traceback" not in console.read_text(errors="replace")
    finally:
        if runner.poll() is None or living(set(), groups):
            kill_leftovers(runner, groups)


def check_s3_auth_is_enforced(endpoint: str, env: dict[str, str]) -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    s3.put_object(Bucket=BUCKET, Key="platform-test/hello.txt", Body=b"hello")
    assert http_status(f"{endpoint}/{BUCKET}/platform-test/hello.txt") == 403
    presigned = s3.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "platform-test/hello.txt"}, ExpiresIn=60
    )
    with urllib.request.urlopen(presigned, timeout=5) as response:
        assert response.read() == b"hello"


def test_taken_web_port_is_refused_with_one_clear_line(tmp_path):
    env = runner_environment(tmp_path)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env["PORT"] = str(port)
        result = subprocess.run(
            [sys.executable, str(RUNNER)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"port {port}" in output and "is in use" in output and "set PORT=" in output, output
    assert "Traceback" not in output
    # It gave up before starting anything.
    assert not (tmp_path / "data" / "run" / "processes.json").exists()
    assert not (tmp_path / "data" / "seaweedfs").exists()


# --------------------------------------------------------------------------- broker choice


class FakeRedis:
    """Answers +PONG to everything on a free port: enough for the runner's PING."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.server.getsockname()[1]}/15"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                if connection.recv(1024):
                    connection.sendall(b"+PONG\r\n")

    def close(self) -> None:
        self.server.close()


def broker_settings(runner, tmp_path: Path, monkeypatch, redis_url: str):
    monkeypatch.setenv("PLATFORM_ENV_FILE", str(tmp_path / "dot.env"))
    monkeypatch.setenv("PLATFORM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    return runner.load_settings()


def test_broker_falls_back_to_filesystem_and_back_to_redis(tmp_path, monkeypatch, capsys):
    runner = load_runner_module()
    env_file = tmp_path / "dot.env"
    env_file.write_text("DJANGO_SECRET_KEY=keep-me\nAWS_ACCESS_KEY_ID=mine")  # no final newline
    (closed_port,) = free_ports(1)

    settings = broker_settings(runner, tmp_path, monkeypatch, f"redis://127.0.0.1:{closed_port}/0")
    assert runner.choose_broker(settings, dict(os.environ)) == "filesystem://"
    written = env_file.read_text()
    assert written.startswith("DJANGO_SECRET_KEY=keep-me\nAWS_ACCESS_KEY_ID=mine\n")
    assert runner.MANAGED_BEGIN in written and runner.MANAGED_END in written
    values = runner.parse_env_text(written)
    assert values["CELERY_BROKER_URL"] == "filesystem://"
    assert values["CELERY_BROKER_FILESYSTEM_DIR"] == str(tmp_path / "data" / "broker")
    assert "filesystem transport" in capsys.readouterr().out

    # A second run without Redis leaves the block as it is (no duplicate lines).
    runner.choose_broker(settings, dict(os.environ))
    assert env_file.read_text() == written

    fake_redis = FakeRedis()
    try:
        settings = broker_settings(runner, tmp_path, monkeypatch, fake_redis.url)
        assert runner.choose_broker(settings, dict(os.environ)) == fake_redis.url
    finally:
        fake_redis.close()
    assert env_file.read_text() == "DJANGO_SECRET_KEY=keep-me\nAWS_ACCESS_KEY_ID=mine\n"


def test_broker_never_overrides_the_users_choice(tmp_path, monkeypatch):
    runner = load_runner_module()
    env_file = tmp_path / "dot.env"
    (closed_port,) = free_ports(1)
    settings = broker_settings(runner, tmp_path, monkeypatch, f"redis://127.0.0.1:{closed_port}/0")

    chosen = "redis://broker.example:6379/3"
    assert runner.choose_broker(settings, {"CELERY_BROKER_URL": chosen}) == chosen
    assert not env_file.exists()

    env_file.write_text("CELERY_BROKER_URL=amqp://guest@127.0.0.1//\n")
    settings = runner.load_settings()
    assert runner.choose_broker(settings, {}) == "amqp://guest@127.0.0.1//"
    assert env_file.read_text() == "CELERY_BROKER_URL=amqp://guest@127.0.0.1//\n"


def test_env_parsing_matches_django_environ(tmp_path, monkeypatch):
    import environ

    runner = load_runner_module()
    names = [f"PLATFORM_RUN_TEST_{letter}" for letter in "ABCDEF"]
    for name in names:
        monkeypatch.delenv(name, raising=False)
    a, b, c, d, e, f = names
    text = (
        f"{a}=plain\nexport {b}=exported\n{c}='single # not a comment'\n"
        f'{d}="double \\"quoted\\" \\n kept"\n# comment\n{e}=\n{f}=x=y\n'
    )
    env_file = tmp_path / "x.env"
    env_file.write_text(text)
    environ.Env.read_env(str(env_file))  # fills os.environ, which monkeypatch restores
    expected = {name: os.environ[name] for name in names}
    for name in names:
        monkeypatch.delenv(name)
    assert runner.parse_env_text(text) == expected
