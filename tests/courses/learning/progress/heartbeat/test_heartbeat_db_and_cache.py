"""heartbeat.db (prepared statements, the read that doubles as the health check) and
heartbeat.cache (sessions in Redis), against the real PostgreSQL and Redis."""

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from courses.learning.progress.heartbeat.db import prepared_fetchone, prepared_rowcount


def _backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_repeated_statement_is_prepared_and_logged_like_any_other():
    sql = "SELECT %s::int + 1"
    with CaptureQueriesContext(connection) as ctx:
        for n in range(8):
            assert prepared_fetchone(sql, [n]) == (n + 1,)
    assert len(ctx.captured_queries) == 8  # seen by django_assert_num_queries and friends
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%::int + 1%"]
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_dropped_is_replaced_by_the_read_itself():
    dead = _backend_pid()
    # Another client ends this connection's backend, as a database restart would.
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [dead])
    connection.health_check_done = False  # a new request on a persistent connection
    assert prepared_fetchone("SELECT %s::int", [7]) == (7,)
    assert _backend_pid() != dead
    assert prepared_rowcount("SELECT 1 WHERE %s::int = 1", [1]) == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_statement_still_raises_on_a_live_connection():
    from django.db.utils import ProgrammingError

    connection.health_check_done = False
    before = _backend_pid()
    with pytest.raises(ProgrammingError):
        prepared_fetchone("SELECT * FROM no_such_table WHERE id = %s", [1])
    assert _backend_pid() == before


def test_sessions_live_in_the_shared_redis_cache():
    assert (
        settings.CACHES["default"]["BACKEND"]
        == "courses.learning.progress.heartbeat.cache.ReusedClientRedisCache"
    )
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    cache.set("config-test-key", {"a": 1}, 30)
    assert cache.get("config-test-key") == {"a": 1}
    # One redis-py client per server, not one per call.
    assert cache._cache.get_client() is cache._cache.get_client()
    cache.delete("config-test-key")
    assert cache.get("config-test-key") is None


@pytest.mark.django_db
def test_logging_out_ends_the_session_for_every_process(django_user_model):
    user = django_user_model.objects.create_user("cache-logout", password="pw-for-test-only")
    client = Client()
    client.force_login(user)
    key = client.session.session_key
    assert cache.get(f"django.contrib.sessions.cached_db{key}") is not None
    client.logout()
    # Gone from the shared cache, so no other web process can still accept it.
    assert cache.get(f"django.contrib.sessions.cached_db{key}") is None


def test_the_private_django_parts_the_heartbeat_uses_are_still_there():
    """Fails loudly when Django changes under the heartbeat's private uses.

    courses.learning.progress.heartbeat uses undocumented parts of Django 5.2, kept
    because the progress benchmark showed the supported ways cost more than 10 % of the
    heartbeat's rate (README, "Benchmarks"). On another Django version, re-read each use
    (heartbeat/db.py, heartbeat/cache.py, heartbeat/session_claims.py), re-run
    `make bench`, then update the version here.
    """
    import django
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.cache.backends.redis import RedisCacheClient
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.postgresql.base import ServerBindingCursor
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    assert django.VERSION[:2] == (5, 2), "re-check the heartbeat's private Django uses"
    assert callable(BaseDatabaseWrapper._prepare_cursor)
    assert connection.vendor != "postgresql" or hasattr(connection, "health_check_done")
    assert hasattr(connection, "health_check_enabled")
    assert callable(RedisCacheClient._get_connection_pool)
    assert "_client" in RedisCacheClient(["redis://127.0.0.1:6379/0"]).__dict__
    assert issubclass(ServerBindingCursor, object) and callable(register_tzloader)
    assert (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY) == (
        "_auth_user_id",
        "_auth_user_backend",
        "_auth_user_hash",
    )
