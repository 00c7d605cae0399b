"""The heartbeat's two statements, prepared by PostgreSQL.

Planning the heartbeat's five-table read costs PostgreSQL several times what running
it does. With `OPTIONS["server_side_binding"]` (config/settings/base.py) Django's
PostgreSQL cursors bind parameters on the server, and psycopg prepares a statement
once it has run `OPTIONS["prepare_threshold"]` times on a connection; both are
documented Django/psycopg settings, so this module needs nothing private.

Measured with bench/test_progress_bench.py (2026-12-03, two rounds alternating with
the earlier version): this supported way, with Django's own per-request connection
health check, gives 677–692 beats/s against 709–750 for a hand-made server-binding
cursor whose read stood in for the health check (about 6 % fewer, inside the 10 %
the platform accepts to stay off Django's internals).

On SQLite (`make run` without DATABASE_URL) these are plain cursors.
"""

from __future__ import annotations

from django.db import connection


def prepared_fetchone(sql: str, params) -> tuple | None:
    """The first row of a read-only statement."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def prepared_rowcount(sql: str, params) -> int:
    """Run a write statement; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
