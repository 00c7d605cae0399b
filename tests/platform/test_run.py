"""`make run`: platform/preflight.py, then honcho on platform/Procfile.

The end-to-end test starts the real runner (what `make run` execs) from the repository root,
with free ports, a temporary data dir, .env and sqlite database, and Redis db 15; waits for
the site; checks that S3 refuses unsigned reads but serves presigned ones and that every
process logs into its file; then sends SIGINT and checks that everything it started is gone
within 10 s. A second start on the same data dir, with no Redis answering, runs on the
filesystem broker and is stopped with SIGTERM. The other tests cover the one-line refusal of
a taken port and the .env broker bookkeeping, in-process.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PREFLIGHT = REPO_ROOT / "platform" / "preflight.py"
# The catalog: answering 200 proves migrations ran and the curriculum was loaded.
READY_PATH = "/"
STARTUP_TIMEOUT = 120
STOP_LIMIT = 10  # seconds from the signal to the last process gone (README)
TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
BUCKET = "course-media"


# --------------------------------------------------------------------------- helpers


def load_preflight():
    """Import platform/preflight.py by path (the `platform` folder is deliberately no package)."""
    spec = importlib.util.spec_from_file_location("platform_preflight_under_test", PREFLIGHT)
    module = importlib.util.module_from_spec(spec)
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
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=TEST_REDIS_URL,
        CACHE_URL=TEST_REDIS_URL.rsplit("/", 1)[0] + "/14",
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


def process_table() -> dict[int, tuple[str, int, int, str]]:
    """pid -> (state, parent pid, process group, command) for every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        table[int(entry.name)] = (fields[0], int(fields[1]), int(fields[2]), command)
    return table


def descendants(root: int) -> dict[int, tuple[str, int, int, str]]:
    table = process_table()
    found, frontier = {}, {root}
    while frontier:
        children = {pid: row for pid, row in table.items() if row[1] in frontier}
        frontier = set(children) - set(found)
        found.update(children)
    return found


def living(pids: set[int], groups: set[int]) -> list[str]:
    """The given pids, and members of the given groups, that still exist (zombies aside)."""
    return [
        f"pid {pid} (state {state}, group {pgrp}): {command[:120]}"
        for pid, (state, _, pgrp, command) in process_table().items()
        if state != "Z" and (pid in pids or pgrp in groups)
    ]


def output_tail(path: Path, lines: int = 40) -> str:
    """The runner's console output, then the end of each process's log, for failures."""
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


def start_runner(env: dict[str, str], console: Path) -> subprocess.Popen:
    with console.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, str(PREFLIGHT)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our own signal, not the terminal's, stops it
        )


def wait_until_serving(runner: subprocess.Popen, port: str, console: Path) -> float:
    started = time.monotonic()
    while http_status(f"http://127.0.0.1:{port}{READY_PATH}") != 200:
        assert runner.poll() is None, (
            f"runner exited with {runner.returncode} before the site answered:\n"
            + output_tail(console)
        )
        assert time.monotonic() - started < STARTUP_TIMEOUT, (
            f"no 200 from {READY_PATH} within {STARTUP_TIMEOUT}s:\n" + output_tail(console)
        )
        time.sleep(0.2)
    return time.monotonic() - started


def stop_and_check(runner: subprocess.Popen, signum: int, console: Path) -> float:
    """Signal the runner; every process below it must be gone within STOP_LIMIT seconds."""
    tracked = descendants(runner.pid)
    commands = " ".join(row[3] for row in tracked.values())
    for program in ("weed", "gunicorn", "celery", "tee"):
        assert program in commands, f"no {program} below the runner: {commands}"
    groups = {row[2] for row in tracked.values()} | {runner.pid}
    signalled = time.monotonic()
    runner.send_signal(signum)
    exit_code = runner.wait(timeout=STOP_LIMIT + 5)
    while (left := living(set(tracked), groups)) and time.monotonic() - signalled < STOP_LIMIT:
        time.sleep(0.05)
    stopped_after = time.monotonic() - signalled
    assert not left, f"still running {STOP_LIMIT}s after {signum!r}: {left}"
    # honcho's exit codes for the signals (128 + signal number).
    assert exit_code == 128 + signum, output_tail(console)
    text = console.read_text(errors="replace")
    assert "Traceback" not in text, output_tail(console)
    return stopped_after


# --------------------------------------------------------------------------- end to end


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="process checks read /proc (Linux)")
def test_runner_starts_the_platform_and_stops_everything_on_a_signal(tmp_path):
    env = runner_environment(tmp_path)
    port, s3_endpoint = env["PORT"], env["AWS_S3_ENDPOINT_URL"]
    console = tmp_path / "runner-output.txt"
    runner = start_runner(env, console)
    try:
        first_start = wait_until_serving(runner, port, console)
        check_s3_auth_is_enforced(s3_endpoint, env)
        text = console.read_text(errors="replace")
        assert "broker: " in text, text  # Redis db 15 when it answers, else the fallback
        assert text.count("created, password ") == 2, "demo passwords are printed when created"
        deadline = time.monotonic() + 10  # printed by gunicorn's when_ready, just before
        while f"http://127.0.0.1:{port}/admin/" not in console.read_text(errors="replace"):
            assert time.monotonic() < deadline, output_tail(console)
            time.sleep(0.1)
        # Every process logs into its own file too (the worker may still be connecting).
        logs = tmp_path / "data" / "logs"
        expected = {"seaweedfs": "SeaweedFS", "setup": "setup: done", "web": "Listening at"}
        expected["worker"] = "ready."
        deadline = time.monotonic() + 60
        for name, line in expected.items():
            while line not in (logs / f"{name}.log").read_text(errors="replace"):
                assert time.monotonic() < deadline, f"{name}.log:\n" + output_tail(console)
                time.sleep(0.2)
        first_stop = stop_and_check(runner, signal.SIGINT, console)
    finally:
        if runner.poll() is None:
            kill_leftovers(runner, {row[2] for row in descendants(runner.pid).values()})

    # Second start on the same data dir, with no Redis: the filesystem broker, then SIGTERM.
    (closed,) = free_ports(1)
    env["REDIS_URL"] = f"redis://127.0.0.1:{closed}/0"
    console = tmp_path / "runner-output-2.txt"
    runner = start_runner(env, console)
    try:
        second_start = wait_until_serving(runner, port, console)
        text = console.read_text(errors="replace")
        assert "falling back to kombu's filesystem transport" in text, text
        assert "CELERY_BROKER_URL=filesystem://" in (tmp_path / "runner.env").read_text()
        assert "created, password" not in text, "demo passwords are printed once only"
        second_stop = stop_and_check(runner, signal.SIGTERM, console)
    finally:
        if runner.poll() is None:
            kill_leftovers(runner, {row[2] for row in descendants(runner.pid).values()})
    print(
        f"\nstart {first_start:.1f}s then {second_start:.1f}s;"
        f" stop {first_stop:.1f}s (SIGINT), {second_stop:.1f}s (SIGTERM)"
    )


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


@pytest.mark.parametrize("taken", ["PORT", "AWS_S3_ENDPOINT_URL", "SEAWEEDFS_FILER_PORT"])
def test_taken_port_is_refused_with_one_clear_line(tmp_path, taken):
    env = runner_environment(tmp_path)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env[taken] = f"http://127.0.0.1:{port}" if taken.endswith("_URL") else str(port)
        result = subprocess.run(
            [sys.executable, str(PREFLIGHT)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert len(output.strip().splitlines()) == 1, output
    assert f"port {port}" in output and "is in use (another make run?" in output, output
    assert f"set {taken}=" in output, output
    assert "Traceback" not in output
    # It gave up before starting or creating anything.
    assert not (tmp_path / "data").exists()
    assert not (tmp_path / "runner.env").exists()


# --------------------------------------------------------------------------- broker choice


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway redis-server on a free port (the machine's binary)."""
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("redis-server is not installed")
    (port,) = free_ports(1)
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp_path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while port_is_free(port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_broker_falls_back_to_filesystem_and_back_to_redis(tmp_path, capsys, redis_url):
    preflight = load_preflight()
    env_file = tmp_path / "dot.env"
    env_file.write_text("DJANGO_SECRET_KEY=keep-me\nAWS_ACCESS_KEY_ID=mine")  # no final newline
    env_file.chmod(0o600)
    (closed_port,) = free_ports(1)
    data_dir = tmp_path / "data"
    environment_before = dict(os.environ)

    no_redis = {"REDIS_URL": f"redis://127.0.0.1:{closed_port}/0"}
    assert preflight.choose_broker(env_file, no_redis, data_dir) == "filesystem://"
    written = env_file.read_text()
    assert written.startswith("DJANGO_SECRET_KEY=keep-me\nAWS_ACCESS_KEY_ID=mine\n")
    assert preflight.MANAGED_BEGIN in written and preflight.MANAGED_END in written
    values = preflight.env_values(written)  # django-environ's reading of the file
    assert values["CELERY_BROKER_URL"] == "filesystem://"
    assert values["CELERY_BROKER_FILESYSTEM_DIR"] == str(data_dir / "broker")
    assert "filesystem transport" in capsys.readouterr().out
    assert env_file.stat().st_mode & 0o777 == 0o600, "the .env keeps its permissions"
    assert dict(os.environ) == environment_before, "reading the .env left os.environ alone"

    # A second run without Redis leaves the block as it is (no duplicate lines).
    preflight.choose_broker(env_file, no_redis, data_dir)
    assert env_file.read_text() == written

    assert preflight.choose_broker(env_file, {"REDIS_URL": redis_url}, data_dir) == redis_url
    assert env_file.read_text() == "DJANGO_SECRET_KEY=keep-me\nAWS_ACCESS_KEY_ID=mine\n"
    assert "Redis answers" in capsys.readouterr().out

    # A block platform/run.py wrote before is recognised and removed the same way.
    env_file.write_text(
        "A=1\n# >>> managed by platform/run.py: Redis did not answer, ...\n"
        "CELERY_BROKER_URL=filesystem://\n# <<< managed by platform/run.py\n"
    )
    assert preflight.choose_broker(env_file, {"REDIS_URL": redis_url}, data_dir) == redis_url
    assert env_file.read_text() == "A=1\n"


def test_broker_never_overrides_the_users_choice(tmp_path):
    preflight = load_preflight()
    env_file = tmp_path / "dot.env"
    (closed_port,) = free_ports(1)
    no_redis = {"REDIS_URL": f"redis://127.0.0.1:{closed_port}/0"}

    chosen = {**no_redis, "CELERY_BROKER_URL": "redis://broker.example:6379/3"}
    assert preflight.choose_broker(env_file, chosen, tmp_path) == chosen["CELERY_BROKER_URL"]
    assert not env_file.exists()

    env_file.write_text("CELERY_BROKER_URL=amqp://guest@127.0.0.1//\n")
    assert preflight.choose_broker(env_file, no_redis, tmp_path) == "amqp://guest@127.0.0.1//"
    assert env_file.read_text() == "CELERY_BROKER_URL=amqp://guest@127.0.0.1//\n"
