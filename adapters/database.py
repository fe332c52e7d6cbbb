"""Engines, transactions and schema upgrades for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session as OrmSession

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK_ID = 7_340_001  # PostgreSQL advisory lock: one schema upgrade at a time


def make_engine(database_url: str) -> Engine:
    """An engine with the same behaviour on both databases: foreign keys enforced, waits on locks."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("", "psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the latest migration; safe when several processes start together.

    PostgreSQL: an advisory lock held by the upgrade's transaction. SQLite runs DDL outside the
    transaction, so several processes starting on a new file (a worker starting three runs) would
    each create the tables; they take turns on an exclusive lock on a file beside the database.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _sqlite_upgrade_turn(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def _sqlite_upgrade_turn(engine: Engine) -> Iterator[None]:
    """On a SQLite file, an exclusive lock on `<file>.upgrade-lock`; nothing to share otherwise."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with Path(f"{database}.upgrade-lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed, or the process dies
        yield


@lru_cache(maxsize=8)
def ready_engine(database_url: str) -> Engine:
    """The process's engine for a URL, its schema upgraded to head once."""
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    return engine


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[OrmSession]:
    """One transaction: committed when the block ends, rolled back whole when it raises."""
    with OrmSession(engine, expire_on_commit=False) as session, session.begin():
        yield session
