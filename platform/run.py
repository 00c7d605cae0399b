"""Local process runner behind `make run`.

Run from the repository root with the project's virtualenv:

    .venv/bin/python platform/run.py

It starts SeaweedFS (`weed mini`, the local S3), prepares the database and storage with the
project's management commands, then runs one Celery worker (with embedded beat) and
gunicorn, and keeps them running until Ctrl+C (SIGINT) or SIGTERM, when it stops every
process it started and exits 0. If a child dies on its own, it says which one, stops the
rest and exits 1.

This file imports nothing from Django or the project: it only spawns `manage.py`, `celery`,
`gunicorn` and `weed`, so a broken setting shows up as a clear failed step, not as a runner
that cannot start. Only the standard library is needed (boto3, when present in the venv, is
used to check the S3 credentials and bucket).

Everything is configured by environment variables, read from the real environment first
and then from `.env` (the file platform/setup.sh writes; the settings read it too):

    PLATFORM_DATA_DIR      where state, logs and pids go (default .data)
    PLATFORM_ENV_FILE      the .env this runner reads and maintains (default .env)
    PORT                   web port (default 8000)
    AWS_S3_ENDPOINT_URL    S3 endpoint; its port is SeaweedFS's S3 port (default :8333)
    SEAWEEDFS_MASTER_PORT, SEAWEEDFS_VOLUME_PORT, SEAWEEDFS_FILER_PORT, SEAWEEDFS_ADMIN_PORT
                           the other SeaweedFS HTTP ports (defaults 9333, 9340, 8888, 23646)
    SEAWEEDFS_{MASTER,VOLUME,FILER,S3}_GRPC_PORT
                           their gRPC ports (default: HTTP port + 10000, SeaweedFS's rule)
    REDIS_URL, CELERY_BROKER_URL
                           broker; without a reachable Redis the runner falls back to kombu's
                           filesystem transport under <data dir>/broker
    WEB_CONCURRENCY        gunicorn workers (default 2 here), CELERY_CONCURRENCY (default 2)
    PLATFORM_STOP_GRACE    seconds between SIGTERM and SIGKILL when stopping (default 10)
    PLATFORM_STARTUP_TIMEOUT
                           seconds to wait for S3 and for the web server (default 60)
    PLATFORM_QUIET=1       do not echo child output to the console (logs are still written)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

try:  # fcntl is POSIX-only; without it the single-runner lock is skipped.
    import fcntl
except ImportError:  # pragma: no cover - Windows is not a supported dev platform
    fcntl = None

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / ".data"

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_S3_ENDPOINT = "http://127.0.0.1:8333"
DEFAULT_BUCKET = "course-media"
FILESYSTEM_BROKER_URL = "filesystem://"

# Run on every start; each is idempotent, so a second run only costs their start-up time.
SETUP_COMMANDS = (["migrate", "--noinput"], ["storage_setup"], ["load_curriculum"], ["seed_demo"])

# SeaweedFS's embedded maintenance worker always dials the admin server's gRPC port at
# admin HTTP port + 10000 (weed 4.48 ignores -admin.port.grpc for that), so the runner
# never lets the two differ.
WEED_GRPC_OFFSET = 10000

# The .env block the runner owns. django-environ does not strip inline comments, so the
# marker lives on lines of its own around the values.
MANAGED_BEGIN = (
    "# >>> managed by platform/run.py: Redis did not answer, so Celery uses kombu's"
    " filesystem broker. Removed automatically once Redis answers again."
)
MANAGED_END = "# <<< managed by platform/run.py"

ENV_LINE = re.compile(r"\A(?:export )?([A-Za-z_0-9]+)=(.*)\Z")


class PlatformError(Exception):
    """A problem the user can fix; printed as one line, without a traceback."""


class Interrupted(Exception):
    """SIGINT/SIGTERM arrived while the platform was still starting."""


# --------------------------------------------------------------------------- .env file


def parse_env_text(text: str) -> dict[str, str]:
    """Parse .env text the way django-environ's read_env does (so both agree on values)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        match = ENV_LINE.match(line)
        if not match:
            continue
        key, value = match.group(1), match.group(2)
        single = re.match(r"\A'(.*)'\Z", value)
        if single:
            value = single.group(1)
        double = re.match(r'\A"(.*)"\Z', value)
        if double:
            value = re.sub(
                r"\\(.)",
                lambda m: "\\" + m.group(1) if m.group(1) in "rnt" else m.group(1),
                double.group(1),
            )
        values[key] = value
    return values


def split_managed_block(text: str) -> tuple[str, str]:
    """Return (the user's part of the .env, the runner's managed block's content)."""
    user_lines: list[str] = []
    managed_lines: list[str] = []
    inside = False
    for line in text.splitlines():
        if line == MANAGED_BEGIN:
            inside = True
        elif line == MANAGED_END:
            inside = False
        elif inside:
            managed_lines.append(line)
        else:
            user_lines.append(line)
    user = "\n".join(user_lines) + ("\n" if user_lines else "")
    return user, "\n".join(managed_lines)


def render_env_file(user_text: str, managed: dict[str, str]) -> str:
    """The .env content: the user's lines untouched, then the managed block (if any)."""
    if not managed:
        return user_text
    lines = [MANAGED_BEGIN, *(f"{key}={value}" for key, value in managed.items()), MANAGED_END]
    separator = "" if not user_text or user_text.endswith("\n") else "\n"
    return user_text + separator + "\n".join(lines) + "\n"


def write_file_atomically(path: Path, content: str) -> None:
    # Keep the file's permissions: .env holds secrets and setup.sh makes it 0600.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    temporary = path.with_name(f".{path.name}.run-py.tmp")
    temporary.write_text(content)
    os.chmod(temporary, mode)
    os.replace(temporary, path)


# --------------------------------------------------------------------------- configuration


def int_setting(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PlatformError(f"{name} must be a whole number, got {raw!r}") from None
    if not 0 < value < 65536 and name.endswith("PORT"):
        raise PlatformError(f"{name} must be a port number (1-65535), got {value}")
    return value


def float_setting(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        raise PlatformError(f"{name} must be a number of seconds, got {raw!r}") from None


@dataclass
class Port:
    number: int
    role: str  # what listens there, for messages
    hint_variable: str  # what the user sets to move it
    hint_format: str = "{port}"  # how a new port is written into that variable


@dataclass
class Settings:
    data_dir: Path
    env_file: Path
    env: dict[str, str]  # what children get: real environment over .env, plus our values
    web_port: int
    s3_endpoint: str
    s3_port: int
    run_seaweedfs: bool
    weed_ports: dict[str, int]
    bucket: str
    stop_grace: float
    startup_timeout: float
    quiet: bool
    ports: list[Port] = field(default_factory=list)

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def pidfile(self) -> Path:
        return self.run_dir / "processes.json"


def display_path(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(REPO_ROOT))
    return str(path)


def load_settings() -> Settings:
    real_env = dict(os.environ)
    env_file = Path(real_env.get("PLATFORM_ENV_FILE") or REPO_ROOT / ".env")
    if not env_file.is_absolute():
        env_file = REPO_ROOT / env_file
    file_values = parse_env_text(env_file.read_text()) if env_file.exists() else {}
    env = {**file_values, **real_env}  # the real environment wins, as in the settings

    data_dir = Path(env.get("PLATFORM_DATA_DIR") or DEFAULT_DATA_DIR)
    if not data_dir.is_absolute():
        data_dir = REPO_ROOT / data_dir

    s3_endpoint = env.get("AWS_S3_ENDPOINT_URL") or DEFAULT_S3_ENDPOINT
    parsed = urllib.parse.urlsplit(s3_endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise PlatformError(
            f"AWS_S3_ENDPOINT_URL must look like http://127.0.0.1:8333, got {s3_endpoint!r}"
        )
    s3_port = parsed.port or (443 if parsed.scheme == "https" else 80)
    # SeaweedFS is only started for a local endpoint; any other endpoint is a real S3 the
    # developer chose on purpose.
    run_seaweedfs = parsed.hostname in ("127.0.0.1", "localhost") and parsed.scheme == "http"

    web_port = int_setting(env, "PORT", 8000)
    weed_ports = {
        "master": int_setting(env, "SEAWEEDFS_MASTER_PORT", 9333),
        "volume": int_setting(env, "SEAWEEDFS_VOLUME_PORT", 9340),
        "filer": int_setting(env, "SEAWEEDFS_FILER_PORT", 8888),
        "s3": s3_port,
        "admin": int_setting(env, "SEAWEEDFS_ADMIN_PORT", 23646),
    }
    for component in ("master", "volume", "filer", "s3"):
        weed_ports[f"{component}.grpc"] = int_setting(
            env,
            f"SEAWEEDFS_{component.upper()}_GRPC_PORT",
            weed_ports[component] + WEED_GRPC_OFFSET,
        )
    weed_ports["admin.grpc"] = weed_ports["admin"] + WEED_GRPC_OFFSET

    ports = [Port(web_port, "web", "PORT")]
    if run_seaweedfs:
        s3_hint = f"{parsed.scheme}://{parsed.hostname}:{{port}}"
        ports += [
            Port(weed_ports["s3"], "SeaweedFS S3", "AWS_S3_ENDPOINT_URL", s3_hint),
            Port(weed_ports["master"], "SeaweedFS master", "SEAWEEDFS_MASTER_PORT"),
            Port(weed_ports["volume"], "SeaweedFS volume", "SEAWEEDFS_VOLUME_PORT"),
            Port(weed_ports["filer"], "SeaweedFS filer", "SEAWEEDFS_FILER_PORT"),
            Port(weed_ports["admin"], "SeaweedFS admin", "SEAWEEDFS_ADMIN_PORT"),
            Port(
                weed_ports["admin.grpc"],
                "SeaweedFS admin gRPC (admin port + 10000)",
                "SEAWEEDFS_ADMIN_PORT",
            ),
        ]
        for component in ("master", "volume", "filer", "s3"):
            ports.append(
                Port(
                    weed_ports[f"{component}.grpc"],
                    f"SeaweedFS {component} gRPC",
                    f"SEAWEEDFS_{component.upper()}_GRPC_PORT",
                )
            )

    return Settings(
        data_dir=data_dir,
        env_file=env_file,
        env=env,
        web_port=web_port,
        s3_endpoint=s3_endpoint.rstrip("/"),
        s3_port=s3_port,
        run_seaweedfs=run_seaweedfs,
        weed_ports=weed_ports,
        bucket=env.get("AWS_STORAGE_BUCKET_NAME") or DEFAULT_BUCKET,
        stop_grace=float_setting(env, "PLATFORM_STOP_GRACE", 10.0),
        startup_timeout=float_setting(env, "PLATFORM_STARTUP_TIMEOUT", 60.0),
        quiet=env.get("PLATFORM_QUIET", "") not in ("", "0", "false", "no"),
        ports=ports,
    )


# --------------------------------------------------------------------------- console output

_print_lock = threading.Lock()


def say(message: str = "") -> None:
    with _print_lock:
        sys.stdout.write(f"{message}\n")
        sys.stdout.flush()


# --------------------------------------------------------------------------- ports


def port_is_taken(port: int) -> bool:
    # Bind with SO_REUSEADDR like gunicorn and weed do, so sockets lingering in TIME_WAIT
    # from the previous run do not count as "in use", but a live listener does.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    # On macOS that bind succeeds next to a listener on 0.0.0.0, so also try to connect.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def check_ports(settings: Settings) -> None:
    seen: dict[int, Port] = {}
    for port in settings.ports:
        if port.number in seen:
            other = seen[port.number]
            raise PlatformError(
                f"port {port.number} is configured for both {other.role} ({other.hint_variable})"
                f" and {port.role} ({port.hint_variable}); give them different ports"
            )
        seen[port.number] = port
    for port in settings.ports:
        if port_is_taken(port.number):
            suggestion = next_free_port(port, set(seen))
            hint = port.hint_format.format(port=suggestion)
            raise PlatformError(
                f"port {port.number} ({port.role}) is in use"
                f" (another make run? set {port.hint_variable}={hint})"
            )


def next_free_port(port: Port, reserved: set[int]) -> int:
    candidate = port.number + 1
    while candidate < 65535:
        # The admin port drags its gRPC port (+10000) along, so both must be free.
        needs = [candidate]
        if port.hint_variable == "SEAWEEDFS_ADMIN_PORT":
            needs.append(candidate + WEED_GRPC_OFFSET)
        if all(n < 65536 and n not in reserved and not port_is_taken(n) for n in needs):
            return candidate
        candidate += 1
    return port.number


# --------------------------------------------------------------------------- broker


def redis_ping(url: str, timeout: float = 1.0) -> tuple[bool, str]:
    """Send PING (after AUTH when the URL has a password). Returns (answered, detail)."""
    parsed = urllib.parse.urlsplit(url)
    try:
        if parsed.scheme == "unix":
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(timeout)
            connection.connect(parsed.path)
            where = parsed.path
        elif parsed.scheme in ("redis", "rediss"):
            host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
            where = f"{host}:{port}"
            connection = socket.create_connection((host, port), timeout=timeout)
            if parsed.scheme == "rediss":
                import ssl

                connection = ssl.create_default_context().wrap_socket(
                    connection, server_hostname=host
                )
        else:
            return False, f"REDIS_URL {url!r} is not a redis://, rediss:// or unix:// URL"
    except OSError as error:
        where = (
            parsed.path if parsed.scheme == "unix" else f"{parsed.hostname}:{parsed.port or 6379}"
        )
        return False, f"nothing answers at {where} ({error.strerror or error})"

    def command(*parts: str) -> str:
        payload = f"*{len(parts)}\r\n" + "".join(f"${len(p.encode())}\r\n{p}\r\n" for p in parts)
        connection.sendall(payload.encode())
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = connection.recv(256)
            if not chunk:
                break
            reply += chunk
        return reply.decode(errors="replace").strip()

    try:
        with connection:
            if parsed.password:
                credentials = [urllib.parse.unquote(parsed.password)]
                if parsed.username:
                    credentials.insert(0, urllib.parse.unquote(parsed.username))
                reply = command("AUTH", *credentials)
                if not reply.startswith("+"):
                    return False, f"Redis at {where} refused AUTH: {reply}"
            reply = command("PING")
    except OSError as error:
        return False, f"Redis at {where} did not answer PING ({error})"
    if reply == "+PONG":
        return True, f"Redis answers at {where}"
    return False, f"Redis at {where} answered PING with {reply!r}"


def choose_broker(settings: Settings, real_env: dict[str, str]) -> str:
    """Pick the Celery broker and keep the .env managed block in step with the choice."""
    env_text = settings.env_file.read_text() if settings.env_file.exists() else ""
    user_text, managed_text = split_managed_block(env_text)
    user_values = parse_env_text(user_text)

    if real_env.get("CELERY_BROKER_URL"):
        say(f"broker: CELERY_BROKER_URL from the environment ({real_env['CELERY_BROKER_URL']})")
        return real_env["CELERY_BROKER_URL"]
    if user_values.get("CELERY_BROKER_URL"):
        say(f"broker: CELERY_BROKER_URL from {display_path(settings.env_file)}")
        return user_values["CELERY_BROKER_URL"]

    redis_url = settings.env.get("REDIS_URL") or DEFAULT_REDIS_URL
    answered, detail = redis_ping(redis_url)
    if answered:
        if managed_text:
            write_file_atomically(settings.env_file, render_env_file(user_text, {}))
            say(
                f"broker: {detail} again; removed the filesystem-broker lines from"
                f" {display_path(settings.env_file)}"
            )
        else:
            say(f"broker: {detail}")
        return redis_url

    broker_dir = settings.data_dir / "broker"
    say(
        f"broker: {detail}; falling back to kombu's filesystem transport under"
        f" {display_path(broker_dir)}"
    )
    managed = {"CELERY_BROKER_URL": FILESYSTEM_BROKER_URL}
    # The settings default the folder to .data/broker; with another data dir, tell
    # `manage.py` (run by hand from the checkout) where the runner's broker is.
    custom_dir = settings.env.get("CELERY_BROKER_FILESYSTEM_DIR")
    if settings.data_dir != DEFAULT_DATA_DIR and not custom_dir:
        managed["CELERY_BROKER_FILESYSTEM_DIR"] = str(broker_dir)
    if parse_env_text(managed_text) != managed:
        settings.env_file.parent.mkdir(parents=True, exist_ok=True)
        write_file_atomically(settings.env_file, render_env_file(user_text, managed))
        say(
            f"        recorded CELERY_BROKER_URL={FILESYSTEM_BROKER_URL} in"
            f" {display_path(settings.env_file)} (a marked block, removed when Redis is back)"
        )
    return FILESYSTEM_BROKER_URL


# --------------------------------------------------------------------------- processes


def find_executable(name: str) -> str:
    # Prefer the interpreter's own bin dir (the project's venv), then PATH. sys.executable
    # is not resolved: .venv/bin/python is usually a symlink out of the venv.
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    from shutil import which

    found = which(name)
    if not found:
        raise PlatformError(
            f"`{name}` not found next to {sys.executable} or on PATH"
            " (run platform/setup.sh, then start this with .venv/bin/python)"
        )
    return found


def group_is_alive(pgid: int) -> bool:
    """True while any non-zombie process is left in the process group."""
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Fields after the parenthesised command name: state ppid pgrp ...
            fields = stat[stat.rfind(")") + 2 :].split()
            if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    process: subprocess.Popen
    echo_thread: threading.Thread

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None


# Weed logs every informational line (I1201 07:29:57.97 ...); the console only shows the
# rest, the log file keeps everything.
WEED_INFO_LINE = re.compile(r"^I\d{4} ")


class Supervisor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.children: list[Child] = []
        self.stop_requested = threading.Event()
        self.stop_signal: str | None = None
        self.force_kill = False
        self.started_any = False

    # -- signals ---------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.stop_requested.is_set():
            self.force_kill = True  # a second Ctrl+C: do not wait for the grace period
            return
        self.stop_signal = signal.Signals(signum).name
        self.stop_requested.set()

    def sleep(self, seconds: float) -> None:
        if self.stop_requested.wait(seconds):
            raise Interrupted

    # -- spawning ----------------------------------------------------------------------------

    def spawn(self, name: str, argv: list[str], log_name: str, env: dict[str, str]) -> Child:
        log_path = self.settings.logs_dir / log_name
        log_file = open(log_path, "ab")  # noqa: SIM115 - closed by the echo thread
        log_file.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(argv)}\n".encode())
        log_file.flush()
        try:
            process = subprocess.Popen(
                argv,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                # Own session and process group: Ctrl+C in the terminal reaches only the
                # runner, which then stops each child's whole group (gunicorn and celery
                # workers included) in order.
                start_new_session=True,
            )
        except OSError as error:
            log_file.close()
            raise PlatformError(f"could not start {name} ({argv[0]}): {error}") from None
        thread = threading.Thread(
            target=self._echo, args=(name, process, log_file), name=f"echo-{name}", daemon=True
        )
        thread.start()
        child = Child(name, argv, log_path, process, thread)
        self.children.append(child)
        self.started_any = True
        self.write_pidfile()
        return child

    def _echo(self, name: str, process: subprocess.Popen, log_file) -> None:
        assert process.stdout is not None
        with log_file:
            for raw in iter(process.stdout.readline, b""):
                log_file.write(raw)
                log_file.flush()
                if self.settings.quiet:
                    continue
                line = raw.decode(errors="replace").rstrip()
                if name == "seaweedfs" and WEED_INFO_LINE.match(line):
                    continue
                say(f"{name:>9} | {line}")

    def write_pidfile(self) -> None:
        # Tests and curious developers read this to find every process the runner started.
        record = {
            "runner": os.getpid(),
            "processes": [
                {
                    "name": c.name,
                    "pid": c.pid,
                    "pgid": c.pid,
                    "command": c.argv[0],
                    "log": str(c.log_path),
                }
                for c in self.children
                if c.alive()
            ],
        }
        temporary = self.settings.pidfile.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, indent=2) + "\n")
        os.replace(temporary, self.settings.pidfile)

    # -- stopping ----------------------------------------------------------------------------

    def stop(self, children: list[Child]) -> None:
        """SIGTERM each child's group, SIGKILL whatever is left after the grace period."""
        targets = [c for c in children if group_is_alive(c.pid) or c.alive()]
        for child in targets:
            # SIGTERM goes to the group leader only: gunicorn's arbiter and celery's main
            # process shut their own workers down gracefully (signalling the whole group
            # would kill celery's pool processes mid-task). Orphans of a leader that
            # already died get it directly.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if child.alive():
                    os.kill(child.pid, signal.SIGTERM)
                else:
                    os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.settings.stop_grace
        while time.monotonic() < deadline and not self.force_kill:
            for child in targets:
                child.process.poll()  # reap the group leader as soon as it exits
            if not any(group_is_alive(c.pid) for c in targets):
                break
            time.sleep(0.1)
        for child in targets:
            if group_is_alive(child.pid):
                if self.force_kill:
                    say(f"second signal: killing {child.name}")
                else:
                    grace = self.settings.stop_grace
                    say(f"{child.name} did not stop within {grace:g}s; killing it")
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.pid, signal.SIGKILL)
        for child in targets:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=5)
            child.echo_thread.join(timeout=1)

    def stop_all(self) -> None:
        # Web and worker first, storage last, so a task being cut short can still write.
        running = [c for c in self.children if c.name != "seaweedfs"]
        if running:
            self.stop(running)
        self.stop([c for c in self.children if c.name == "seaweedfs"])
        self.children.clear()
        with contextlib.suppress(FileNotFoundError):
            self.settings.pidfile.unlink()

    # -- helpers -----------------------------------------------------------------------------

    def ensure_running(self, child: Child, while_doing: str) -> None:
        if child.alive():
            return
        raise PlatformError(
            f"{child.name} exited with code {child.process.returncode} while {while_doing}"
            f" (see {display_path(child.log_path)})"
        )

    def run_step(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        """Run one setup command to completion, staying responsive to Ctrl+C."""
        say(f"setup: python {display_path(Path(argv[1]))} {' '.join(argv[2:])}")
        child = self.spawn(name, argv, "setup.log", env)
        while child.process.poll() is None:
            for other in self.children:
                if other is not child:
                    self.ensure_running(other, f"`{name}` was running")
            if self.stop_requested.wait(0.1):
                raise Interrupted
        child.echo_thread.join(timeout=2)
        self.children.remove(child)
        self.write_pidfile()
        if child.process.returncode != 0:
            raise PlatformError(
                f"setup step `{' '.join(argv[1:])}` failed with exit code"
                f" {child.process.returncode} (output above, full log in"
                f" {display_path(child.log_path)})"
            )


# --------------------------------------------------------------------------- HTTP probes


def http_status(
    url: str, headers: dict[str, str] | None = None, timeout: float = 2.0
) -> int | None:
    """HTTP status of a GET, or None when nothing answers."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def weed_command(settings: Settings, weed: str) -> list[str]:
    ports = settings.weed_ports
    return [
        weed,
        # Logs to stderr (captured into seaweedfs.log) instead of glog files in /tmp.
        "-logtostderr",
        "mini",
        f"-dir={settings.data_dir / 'seaweedfs'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-admin.ui=false",
        f"-bucket={settings.bucket}",
        # Every port weed mini opens is pinned so the runner can check them beforehand.
        f"-master.port={ports['master']}",
        f"-master.port.grpc={ports['master.grpc']}",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={ports['volume.grpc']}",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={ports['filer.grpc']}",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={ports['s3.grpc']}",
        f"-admin.port={ports['admin']}",
        f"-admin.port.grpc={ports['admin.grpc']}",
        # Not used by the platform; turned off so they open no ports of their own.
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]


def wait_for_s3(supervisor: Supervisor, weed: Child | None) -> None:
    settings = supervisor.settings
    deadline = time.monotonic() + settings.startup_timeout
    health_url = f"{settings.s3_endpoint}/healthz"
    while http_status(health_url, timeout=1.0) != 200:
        if weed is not None:
            supervisor.ensure_running(weed, "starting up")
        if time.monotonic() > deadline:
            raise PlatformError(
                f"S3 at {settings.s3_endpoint} did not answer within"
                f" {settings.startup_timeout:g}s"
                f" (see {display_path(settings.logs_dir / 'seaweedfs.log')})"
            )
        supervisor.sleep(0.2)

    # Presigned URLs are the only way browsers may read media, so anonymous access must
    # be refused: SeaweedFS only enforces auth when it was given credentials.
    anonymous = http_status(f"{settings.s3_endpoint}/{settings.bucket}/")
    if anonymous not in (403, 401):
        raise PlatformError(
            f"S3 at {settings.s3_endpoint} answered an unsigned request with {anonymous}, not"
            " 403: authentication is not enforced (are AWS_ACCESS_KEY_ID and"
            " AWS_SECRET_ACCESS_KEY set for weed?)"
        )
    wait_for_bucket(supervisor, deadline)


def wait_for_bucket(supervisor: Supervisor, deadline: float) -> None:
    """Check the credentials and wait until weed mini has created the bucket.

    Without this, storage_setup could race weed's own `-bucket` creation. Needs boto3 (in
    the venv); without it the check is skipped and storage_setup creates the bucket.
    """
    settings = supervisor.settings
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return
    client = boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        aws_access_key_id=settings.env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=settings.env.get("AWS_SECRET_ACCESS_KEY"),
        region_name=settings.env.get("AWS_S3_REGION_NAME") or "us-east-1",
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            connect_timeout=2,
            read_timeout=5,
        ),
    )
    bucket_deadline = min(deadline, time.monotonic() + 10)
    while True:
        try:
            client.head_bucket(Bucket=settings.bucket)
            return
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ("403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"):
                raise PlatformError(
                    f"S3 at {settings.s3_endpoint} rejects AWS_ACCESS_KEY_ID/"
                    f"AWS_SECRET_ACCESS_KEY ({code}); is another SeaweedFS with other"
                    " credentials on that port?"
                ) from None
        except BotoCoreError:
            pass
        if time.monotonic() > bucket_deadline:
            return  # storage_setup creates it
        supervisor.sleep(0.2)


def wait_for_web(supervisor: Supervisor, web: Child, worker: Child) -> int | None:
    settings = supervisor.settings
    deadline = time.monotonic() + settings.startup_timeout
    url = f"http://127.0.0.1:{settings.web_port}/api/health"
    while True:
        supervisor.ensure_running(web, "starting up")
        supervisor.ensure_running(worker, "starting up")
        status = http_status(url, timeout=5.0)
        if status is not None:
            return status
        if time.monotonic() > deadline:
            raise PlatformError(
                f"the web server did not answer on port {settings.web_port} within"
                f" {settings.startup_timeout:g}s (see {display_path(web.log_path)})"
            )
        supervisor.sleep(0.2)


# --------------------------------------------------------------------------- main


def acquire_lock(settings: Settings):
    """One runner per data dir: two weeds on one directory would corrupt it."""
    lock_path = settings.run_dir / "lock"
    lock_file = open(lock_path, "a+")  # noqa: SIM115 - held for the runner's lifetime
    if fcntl is None:
        return lock_file
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock_file.seek(0)
        holder = lock_file.read().strip() or "unknown"
        raise PlatformError(
            f"another platform/run.py (pid {holder}) is already using"
            f" {display_path(settings.data_dir)}; stop it first (Ctrl+C in its terminal)"
        ) from None
    lock_file.seek(0)
    lock_file.truncate()
    lock_file.write(f"{os.getpid()}\n")
    lock_file.flush()
    return lock_file


def stop_leftovers(settings: Settings, grace: float) -> None:
    """Stop what an earlier runner on this data dir left behind (it was SIGKILLed).

    Only processes whose command line still matches what the pidfile recorded are
    touched, so a recycled pid is never signalled.
    """
    try:
        record = json.loads(settings.pidfile.read_text())
    except (FileNotFoundError, ValueError):
        return
    leftovers = []
    for entry in record.get("processes", []):
        pid, command = entry.get("pid"), entry.get("command")
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, TypeError):
            continue  # gone (or no /proc to prove it is ours)
        if command and command.encode() in cmdline[:2] and group_is_alive(pid):
            leftovers.append(entry)
    if leftovers:
        names = ", ".join(f"{e['name']} (pid {e['pid']})" for e in leftovers)
        say(f"stopping processes an earlier run left behind: {names}")
        for signum in (signal.SIGTERM, signal.SIGKILL):
            for entry in leftovers:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(entry["pid"], signum)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and any(group_is_alive(e["pid"]) for e in leftovers):
                time.sleep(0.1)
    settings.pidfile.unlink(missing_ok=True)


def child_environment(settings: Settings, broker_url: str) -> dict[str, str]:
    env = dict(settings.env)
    env["PYTHONUNBUFFERED"] = "1"  # child output reaches the logs as it happens
    env["PORT"] = str(settings.web_port)
    env["CELERY_BROKER_URL"] = broker_url  # always explicit: .env may say otherwise
    env.setdefault("AWS_S3_ENDPOINT_URL", settings.s3_endpoint)
    env.setdefault("AWS_STORAGE_BUCKET_NAME", settings.bucket)
    if broker_url.startswith(FILESYSTEM_BROKER_URL):
        broker_dir = Path(env.get("CELERY_BROKER_FILESYSTEM_DIR") or settings.data_dir / "broker")
        # kombu's filesystem transport creates none of its folders; these are the ones
        # config/settings/base.py points it at (messages in queue/, processed/).
        for folder in ("queue", "processed"):
            (broker_dir / folder).mkdir(parents=True, exist_ok=True)
        env["CELERY_BROKER_FILESYSTEM_DIR"] = str(broker_dir)
    # The settings put the sqlite database, beat schedule and transcode scratch space
    # under PLATFORM_DATA_DIR; hand them the same absolute folder the runner uses.
    env["PLATFORM_DATA_DIR"] = str(settings.data_dir)
    control_socket = settings.run_dir / "gunicorn.ctl"
    if len(str(control_socket)) < 100:  # AF_UNIX paths are limited to ~108 bytes
        env.setdefault("GUNICORN_CONTROL_SOCKET", str(control_socket))
    return env


def print_banner(settings: Settings, broker_url: str, health: int | None) -> None:
    site = f"http://127.0.0.1:{settings.web_port}"
    logs = display_path(settings.logs_dir)
    if broker_url.startswith(FILESYSTEM_BROKER_URL):
        broker = f"kombu filesystem transport ({display_path(settings.data_dir / 'broker')})"
    else:
        broker = re.sub(r"//[^@/]*@", "//***@", broker_url)  # hide a password
    health_note = "OK" if health == 200 else f"{health} - see {site}/api/health"
    lines = [
        "",
        "The platform is running:",
        f"  site        {site}/",
        f"  admin       {site}/admin/",
        f"  studio      {site}/studio/",
        f"  API docs    {site}/api/docs",
        f"  health      {site}/api/health ({health_note})",
        f"  S3          {settings.s3_endpoint} (bucket {settings.bucket})",
        f"  broker      {broker}",
        f"  logs        {logs}/seaweedfs.log, setup.log, worker.log, web.log",
        f"  pids        {display_path(settings.pidfile)}",
        "Press Ctrl+C to stop.",
        "",
    ]
    say("\n".join(lines))


def start_platform(supervisor: Supervisor, settings: Settings, real_env: dict[str, str]) -> None:
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if not settings.env.get(variable):
            raise PlatformError(
                f"{variable} is not set; run platform/setup.sh (it writes dev credentials"
                f" to .env) or export it"
            )
    check_ports(settings)
    python = sys.executable
    celery = find_executable("celery")
    gunicorn = find_executable("gunicorn")
    weed = find_executable("weed") if settings.run_seaweedfs else None

    broker_url = choose_broker(settings, real_env)
    env = child_environment(settings, broker_url)

    weed_child = None
    if weed:
        (settings.data_dir / "seaweedfs").mkdir(parents=True, exist_ok=True)
        weed_child = supervisor.spawn(
            "seaweedfs", weed_command(settings, weed), "seaweedfs.log", env
        )
        say(f"started SeaweedFS (pid {weed_child.pid}), S3 on {settings.s3_endpoint}")
    else:
        say(f"using the S3 at {settings.s3_endpoint} (not local, so SeaweedFS is not started)")
    wait_for_s3(supervisor, weed_child)

    manage = str(REPO_ROOT / "manage.py")
    for command in SETUP_COMMANDS:
        supervisor.run_step(command[0], [python, manage, *command], env)

    worker_command = [
        celery, "-A", "config", "worker",
        "-Q", "default,transcode",
        # Embedded beat; its schedule file is CELERY_BEAT_SCHEDULE_FILENAME (data dir).
        "-B",
        "--concurrency", env.get("CELERY_CONCURRENCY") or "2",
        "--loglevel", env.get("CELERY_LOG_LEVEL") or "INFO",
        # One local worker: skip the peer discovery that only adds seconds to startup.
        "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    worker = supervisor.spawn("worker", worker_command, "worker.log", env)
    say(f"started the Celery worker with embedded beat (pid {worker.pid})")

    web_env = {**env, "WEB_CONCURRENCY": env.get("WEB_CONCURRENCY") or "2"}
    web_command = [
        gunicorn, "-c", str(REPO_ROOT / "platform" / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{settings.web_port}",
        "config.wsgi",
    ]  # fmt: skip
    web = supervisor.spawn("web", web_command, "web.log", web_env)
    say(f"started gunicorn (pid {web.pid}) on 127.0.0.1:{settings.web_port}")

    health = wait_for_web(supervisor, web, worker)
    print_banner(settings, broker_url, health)


def main() -> int:
    real_env = dict(os.environ)
    try:
        settings = load_settings()
        for directory in (settings.data_dir, settings.logs_dir, settings.run_dir):
            directory.mkdir(parents=True, exist_ok=True)
        lock = acquire_lock(settings)
        stop_leftovers(settings, settings.stop_grace)
    except PlatformError as error:
        print(f"platform/run.py: {error}", file=sys.stderr)
        return 1

    supervisor = Supervisor(settings)
    supervisor.install_signal_handlers()
    exit_code = 0
    try:
        start_platform(supervisor, settings, real_env)
        while not supervisor.stop_requested.wait(0.5):
            for child in supervisor.children:
                if not child.alive():
                    raise PlatformError(
                        f"{child.name} (pid {child.pid}) exited unexpectedly with code"
                        f" {child.process.returncode}; stopping the rest"
                        f" (see {display_path(child.log_path)})"
                    )
    except Interrupted:
        pass
    except PlatformError as error:
        print(f"platform/run.py: {error}", file=sys.stderr)
        exit_code = 1
    except Exception:
        # A bug in the runner: still leave no orphans behind.
        supervisor.stop_all()
        raise
    if supervisor.started_any:
        if supervisor.stop_signal:
            say(f"\n{supervisor.stop_signal} received, stopping...")
        supervisor.stop_all()
        say("stopped everything the runner started.")
    lock.close()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
