"""`make run`: what honcho does not do, then exec `honcho start -f platform/Procfile`.

Reads the .env (PLATFORM_ENV_FILE, default .env) with django-environ, the real environment
winning; refuses a taken port in one line; picks the broker (Redis, else kombu's filesystem
transport, recorded in a marked block of the .env). honcho then has this pid and the signals.
"""

import io
import os
import re
import socket
import sys
import urllib.parse
from pathlib import Path

import environ
import redis

REPO_ROOT = Path(__file__).resolve().parent.parent
MANAGED_BEGIN = (
    "# >>> managed by platform/preflight.py: Redis did not answer, so Celery uses kombu's"
    " filesystem broker. Removed automatically once Redis answers again."
)
MANAGED_END = "# <<< managed by platform/preflight.py"
WEED_PORTS = {"MASTER": 9333, "VOLUME": 9340, "FILER": 8888, "ADMIN": 23646}
GRPC_OFFSET = 10000  # weed's rule; its admin gRPC port is always admin + 10000
PAGES = [("site", "/"), ("admin", "/admin/"), ("studio", "/studio/"), ("API docs", "/api/docs"),
         ("health", "/api/health")]  # fmt: skip


class PreflightError(Exception):
    """Something the user can fix: one line, no traceback."""


def env_values(text: str) -> dict[str, str]:
    """.env text as django-environ's reader (the settings') sees it, into a dict."""

    class Reader(environ.Env):
        ENVIRON: dict[str, str] = {}

    Reader.read_env(io.StringIO(text))
    return Reader.ENVIRON


def split_env(text: str) -> tuple[str, str]:
    """(the user's lines, the managed block's); a block platform/run.py wrote counts too."""
    user, managed, inside = [], [], False
    for line in text.splitlines():
        if line.startswith("# >>> managed by platform/"):
            inside = True
        elif line.startswith("# <<< managed by platform/"):
            inside = False
        else:
            (managed if inside else user).append(line)
    return "".join(f"{line}\n" for line in user), "\n".join(managed)


def write_env(path: Path, user_text: str, managed: dict[str, str]) -> None:
    block = "".join(f"{key}={value}\n" for key, value in managed.items())
    text = user_text + (f"{MANAGED_BEGIN}\n{block}{MANAGED_END}\n" if managed else "")
    temporary = path.with_name(f".{path.name}.preflight.tmp")
    temporary.write_text(text)
    os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o600)  # secrets
    os.replace(temporary, path)


def masked(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


def choose_broker(env_file: Path, real_env: dict[str, str], data_dir: Path) -> str:
    """The broker URL; keeps the .env's managed block in step with the choice."""
    user_text, managed_text = split_env(env_file.read_text() if env_file.exists() else "")
    values = {**env_values(user_text), **real_env}
    if values.get("CELERY_BROKER_URL"):
        print("broker: CELERY_BROKER_URL as you set it")
        return values["CELERY_BROKER_URL"]
    redis_url = values.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        with redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1) as r:
            r.ping()
    except (redis.RedisError, OSError, ValueError) as error:
        detail = str(error)
    else:
        print(f"broker: Redis answers at {masked(redis_url)}")
        if managed_text:
            write_env(env_file, user_text, {})
            print(f"        removed the filesystem-broker lines from {env_file}")
        return redis_url
    broker_dir = data_dir / "broker"
    print(
        f"broker: no Redis answers at {masked(redis_url)} ({detail}); falling back to"
        f" kombu's filesystem transport under {broker_dir}"
    )
    managed = {"CELERY_BROKER_URL": "filesystem://"}
    if data_dir != REPO_ROOT / ".data" and not values.get("CELERY_BROKER_FILESYSTEM_DIR"):
        managed["CELERY_BROKER_FILESYSTEM_DIR"] = str(broker_dir)  # for manage.py by hand
    if env_values(managed_text) != managed:
        write_env(env_file, user_text, managed)
        print(f"        recorded it in {env_file} (a marked block, removed when Redis is back)")
    return "filesystem://"


def port_number(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip() or str(default)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise PreflightError(f"{name} must be a port number (1-65535), got {raw!r}")
    return int(raw)


def port_taken(port: int) -> bool:
    # SO_REUSEADDR as gunicorn and weed use it: TIME_WAIT leftovers do not count, listeners do.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    with socket.socket() as probe:  # macOS binds next to a listener on 0.0.0.0
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def plan_ports(env: dict[str, str], s3: urllib.parse.SplitResult, weed: bool) -> list[tuple]:
    """[(port, what listens, variable to set, how to write it)]; puts weed's ports into env."""
    ports = [(port_number(env, "PORT", 8000), "web", "PORT", "{}")]
    for name, default in {"S3": s3.port or 80, **WEED_PORTS}.items() if weed else ():
        http = default if name == "S3" else port_number(env, f"SEAWEEDFS_{name}_PORT", default)
        grpc_var = "SEAWEEDFS_ADMIN_PORT" if name == "ADMIN" else f"SEAWEEDFS_{name}_GRPC_PORT"
        grpc = http + GRPC_OFFSET
        grpc = grpc if name == "ADMIN" else port_number(env, grpc_var, grpc)
        env[f"SEAWEEDFS_{name}_PORT"], env[f"SEAWEEDFS_{name}_GRPC_PORT"] = str(http), str(grpc)
        what = f"SeaweedFS {name if name == 'S3' else name.lower()}"
        if name == "S3":
            ports.append((http, what, "AWS_S3_ENDPOINT_URL", f"http://{s3.hostname}:{{}}"))
        else:
            ports.append((http, what, f"SEAWEEDFS_{name}_PORT", "{}"))
        note = " (admin port + 10000)" if name == "ADMIN" else ""
        ports.append((grpc, f"{what} gRPC{note}", grpc_var, "{}"))
    return ports


def check_ports(ports: list[tuple]) -> None:
    numbers = [port for port, *_ in ports]
    for port, what, variable, hint in ports:
        if port_taken(port):
            drags = GRPC_OFFSET if variable == "SEAWEEDFS_ADMIN_PORT" else 0
            free = next(
                (p for p in range(port + 1, 65536 - drags) if p not in numbers
                 and not port_taken(p) and not (drags and port_taken(p + drags))),
                port,
            )  # fmt: skip
            raise PreflightError(
                f"port {port} ({what}) is in use"
                f" (another make run? set {variable}={hint.format(free)})"
            )


def main() -> None:
    real_env = dict(os.environ)
    env_file = REPO_ROOT / (real_env.get("PLATFORM_ENV_FILE") or ".env")  # or an absolute path
    env = {**env_values(env_file.read_text() if env_file.exists() else ""), **real_env}
    data_dir = REPO_ROOT / (env.get("PLATFORM_DATA_DIR") or ".data")
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if not env.get(variable):
            raise PreflightError(f"{variable} is not set; run platform/setup.sh or export it")
    endpoint = (env.get("AWS_S3_ENDPOINT_URL") or "http://127.0.0.1:8333").rstrip("/")
    s3 = urllib.parse.urlsplit(endpoint)
    weed = s3.scheme == "http" and s3.hostname in ("127.0.0.1", "localhost")  # else a real S3
    ports = plan_ports(env, s3, weed)
    # localstripe while the keys are the ones platform/setup.sh wrote; real keys: real Stripe.
    fake_stripe = not env.get("STRIPE_API_BASE") and env.get("STRIPE_SECRET_KEY", "").startswith(
        "sk_test_local"
    )
    if fake_stripe:
        stripe_port = port_number(env, "LOCALSTRIPE_PORT", 8420)
        ports.append((stripe_port, "localstripe", "LOCALSTRIPE_PORT", "{}"))
    check_ports(ports)
    if not (honcho := Path(sys.executable).parent / "honcho").exists():
        raise PreflightError(f"{honcho} not found; run platform/setup.sh")
    broker = choose_broker(env_file, real_env, data_dir)
    environ.Env.read_env(env_file, overwrite=False)  # into os.environ, for the processes
    run_dir = data_dir / "run"
    broker_dir = Path(env.get("CELERY_BROKER_FILESYSTEM_DIR") or data_dir / "broker")
    folders = [data_dir / "logs", run_dir] + [data_dir / "seaweedfs"] * weed
    if broker == "filesystem://":  # kombu creates none of its folders
        folders += [broker_dir / "queue", broker_dir / "processed"]
        os.environ["CELERY_BROKER_FILESYSTEM_DIR"] = str(broker_dir)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    (run_dir / "setup-done").unlink(missing_ok=True)  # the worker waits for it (Procfile)

    web_port, bucket = ports[0][0], env.get("AWS_STORAGE_BUCKET_NAME") or "course-media"
    site = f"http://127.0.0.1:{web_port}"
    ready = ["The platform is running:", *(f"  {what:<10}  {site}{path}" for what, path in PAGES)]
    ready += [
        f"  S3          {endpoint} (bucket {bucket})",
        f"  broker      {masked(broker)}",
        (
            f"  payments    localstripe at http://127.0.0.1:{stripe_port} (fake Stripe; test card"
            " 4242 4242 4242 4242, any future date, any CVC)"
            if fake_stripe
            else "  payments    Stripe (STRIPE_SECRET_KEY from your environment)"
        ),
        "  e-mail      "
        + (
            "printed in the web and worker logs (set EMAIL_URL to send it)"
            if env.get("EMAIL_URL", "consolemail://").startswith("console")
            else masked(env["EMAIL_URL"])
        ),
        f"  logs        {data_dir / 'logs'}/seaweedfs.log, setup.log, worker.log, web.log",
        "Ctrl+C stops it.",
    ]
    os.environ.update({name: value for name, value in env.items() if name.startswith("SEAWEEDFS_")})
    os.environ.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
        PLATFORM_DATA_DIR=str(data_dir),
        PLATFORM_WEB_PORT=str(web_port),
        PLATFORM_SETUP_DONE=str(run_dir / "setup-done"),
        PLATFORM_READY_MESSAGE="\n".join(ready),  # printed by gunicorn.conf.py once ready
        CELERY_BROKER_URL=broker,
        AWS_S3_ENDPOINT_URL=endpoint,
        AWS_STORAGE_BUCKET_NAME=bucket,
    )
    os.environ.setdefault("SITE_URL", site)
    if fake_stripe:
        os.environ.update(
            LOCALSTRIPE_PORT=str(stripe_port),
            STRIPE_API_BASE=f"http://127.0.0.1:{stripe_port}",
            STRIPE_JS_URL=f"http://127.0.0.1:{stripe_port}/js.stripe.com/v3/",
        )
    # honcho gives each process a PORT of its own: the settings' CORS default must not use it.
    os.environ.setdefault("MEDIA_UPLOAD_CORS_ORIGINS", f"{site},http://localhost:{web_port}")
    if len(str(run_dir / "gunicorn.ctl")) < 100:  # AF_UNIX paths are short
        os.environ.setdefault("GUNICORN_CONTROL_SOCKET", str(run_dir / "gunicorn.ctl"))
    os.chdir(REPO_ROOT)
    # `-e /dev/null`: honcho would read .env itself, over the real environment.
    argv = [str(honcho), "start", "-f", "platform/Procfile", "-e", "/dev/null"]
    processes = ["web", "worker"] + ["seaweedfs"] * weed + ["stripe"] * fake_stripe
    os.execvp(argv[0], argv + processes)


if __name__ == "__main__":
    try:
        main()
    except PreflightError as error:
        sys.exit(f"platform/preflight.py: {error}")
