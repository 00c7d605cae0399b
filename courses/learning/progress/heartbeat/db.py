"""Statements for the hottest path (the player's heartbeat), prepared on PostgreSQL.

Planning the heartbeat's five-table read costs PostgreSQL several times what running
it does. Django's cursors bind parameters on the client, so nothing it sends can be
prepared (and Django keeps it that way for connection poolers); a server-binding
cursor on the same connection lets psycopg prepare a statement once it has run
DATABASES["default"]["OPTIONS"]["prepare_threshold"] times.

The read also stands in for Django's per-request connection health check (a
`SELECT 1` before the first query of each request): a connection found dead by the
read itself is replaced and the read run again, which is what the check would
have achieved, without its round trip on every request.

On other databases (SQLite for `make run`) these are plain connection.cursor() calls.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import InterfaceError, OperationalError


def _cursor(db):
    """connection.cursor(), with a server-binding cursor class on PostgreSQL.

    Same wrapping, logging and error translation; unlike connection.cursor() it leaves
    the health check to the callers.
    """
    if db.vendor != "postgresql":
        return db.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.postgres import types
    from psycopg.pq import Format

    db.ensure_connection()
    with db.wrap_database_errors:
        cursor = ServerBindingCursor(db.connection)
        # As DatabaseWrapper.create_cursor() does.
        loader = db.connection.adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
        if db.timezone != loader.timezone:
            register_tzloader(db.timezone, cursor)
        return db._prepare_cursor(cursor)


def _fetchone(db, sql: str, params):
    with _cursor(db) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def prepared_fetchone(sql: str, params) -> tuple | None:
    """The first row of a read-only statement (safe to run twice)."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.connection is None or not db.health_check_enabled or db.health_check_done:
        return _fetchone(db, sql, params)
    if db.in_atomic_block:  # no reconnecting inside a transaction: check the usual way
        db.close_if_health_check_failed()
        return _fetchone(db, sql, params)
    try:
        return _fetchone(db, sql, params)
    except (OperationalError, InterfaceError):
        if db.is_usable():
            raise  # the statement failed, not the connection
        db.close()  # a persistent connection the server dropped: what the check is for
        return _fetchone(db, sql, params)
    finally:
        db.health_check_done = True


def prepared_rowcount(sql: str, params) -> int:
    """Run a write statement; the number of rows it changed."""
    db = connections[DEFAULT_DB_ALIAS]
    db.close_if_health_check_failed()  # a no-op after prepared_fetchone()
    with _cursor(db) as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
