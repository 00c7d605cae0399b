"""Production settings: secrets come only from the environment, and check --deploy passes."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-for-the-check-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "course.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "AWS_ACCESS_KEY_ID": "production-key",
    "AWS_SECRET_ACCESS_KEY": "production-secret",
    "AWS_STORAGE_BUCKET_NAME": "course-media",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # A clean environment: nothing from this test run or a developer's .env may leak in.
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "PLATFORM_DATA_DIR": "/nonexistent", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_secrets():
    env = {
        k: v
        for k, v in PRODUCTION_ENV.items()
        if k not in ("DJANGO_SECRET_KEY", "AWS_SECRET_ACCESS_KEY")
    }
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr and "AWS_SECRET_ACCESS_KEY" in result.stderr


def test_production_refuses_a_console_or_memory_mail_backend():
    for url in ("", "consolemail://", "memorymail://"):
        env = {**PRODUCTION_ENV, "EMAIL_URL": url}
        if not url:
            del env["EMAIL_URL"]
        result = _manage("check", env=env)
        assert result.returncode != 0, url
        assert "EMAIL_URL" in result.stderr


def test_without_a_settings_module_only_a_prepared_checkout_gets_local_settings(tmp_path):
    from config.settings_module import settings_module_default

    assert settings_module_default(tmp_path) == "config.settings.production"
    (tmp_path / ".env").write_text("DJANGO_SECRET_KEY=x\n")
    assert settings_module_default(tmp_path) == "config.settings.local"


def test_a_server_without_settings_module_refuses_to_run_with_fallback_secrets(tmp_path):
    """A tree without .env (an image, a copied release): manage.py means production."""
    import shutil

    release = tmp_path / "release"
    shutil.copytree(ROOT, release, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", ".data", ".env", "bench-results", "__pycache__"
    ))  # fmt: skip
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=release, env=base,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0 and "Production settings need" in result.stderr


def _cache_and_broker(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "from django.conf import settings; "
        "print('URLS', settings.CELERY_BROKER_URL, settings.CACHES['default']['LOCATION'])"
    )
    return _manage("shell", "-c", code, env=env)


def _urls(result: subprocess.CompletedProcess) -> list[str]:
    line = next(line for line in result.stdout.splitlines() if line.startswith("URLS "))
    return line.split()[1:]


def test_the_cache_and_sessions_never_share_the_brokers_redis_database():
    """Issue 13, item 5: flushing or evicting the cache never touches queued work."""
    result = _cache_and_broker(PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    broker, cache = _urls(result)
    assert broker == "redis://127.0.0.1:6379/0" and cache == "redis://127.0.0.1:6379/1"
    chosen = _cache_and_broker({**PRODUCTION_ENV, "CACHE_URL": "redis://cache.internal:6379/3"})
    assert _urls(chosen)[1] == "redis://cache.internal:6379/3"
    same = _cache_and_broker({**PRODUCTION_ENV, "CACHE_URL": "redis://127.0.0.1:6379/0"})
    assert same.returncode != 0 and "CACHE_URL must name another Redis database" in same.stderr


def test_compose_gives_redis_a_memory_limit_that_never_evicts_the_queue():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "--maxmemory-policy" in compose and "volatile-lru" in compose
    assert "CACHE_URL: redis://redis:6379/1" in compose
