"""Engines, transactions and schema upgrades for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, TypeVarTuple

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    Table,
    bindparam,
    create_engine,
    event,
    insert,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.compiler import Compiled

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


# --- IN (...) lists ------------------------------------------------------------------------------

IN_CHUNK = 500  # values per IN (...) list: well under SQLite's and PostgreSQL's bound parameters


def in_chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    """The values, sorted and without repeats, in lists short enough for one IN (...) each."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start:start + IN_CHUNK]


_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")  # the types of a select's columns, those of its rows


def scalars_in(db: OrmSession, statement: Select[_T], column: QueryableAttribute[Any],
               values: Iterable[Any]) -> Iterator[_T]:
    """The scalars of `statement` where `column` is one of `values`, one IN (...) per chunk."""
    for chunk in in_chunks(values):
        yield from db.scalars(statement.where(column.in_(chunk)))


def rows_in(db: OrmSession, statement: Select[*_Ts], column: QueryableAttribute[Any],
            values: Iterable[Any]) -> Iterator[Row[*_Ts]]:
    """The rows of `statement` (a select of columns) where `column` is one of `values`, one
    IN (...) per chunk."""
    for chunk in in_chunks(values):
        yield from db.execute(statement.where(column.in_(chunk)))


# --- batched writes -----------------------------------------------------------------------------
# A run stores tens of thousands of rows (statement lines, allocations, audit entries, paid
# amounts): one executemany each, with no ORM bookkeeping per row. On SQLite, the driver's own
# executemany, each column's values converted by its type's bind processor as Core would, without
# Core's work per row (50,000 allocations: 0.47 s through the ORM's bulk insert, 0.28 s so); on
# PostgreSQL, Core's (batched multi-row VALUES for an insert). The caller's pending ORM objects are
# flushed first, in order.

_WRITE_CACHE_KIB = -256 * 1024  # negative: in KiB (256 MiB at most, used only as pages are read)
_LARGE_WRITE = 10_000  # rows


def read_rows(db: OrmSession, statement: Select[*_Ts]) -> Sequence[Row[*_Ts]]:
    """The rows of a select of columns through Core, without the ORM's work per row (half the
    time of reading 50,000 rows); the caller's pending ORM objects are flushed first."""
    db.flush()
    return db.connection().execute(statement).all()


def insert_rows(db: OrmSession, table: Table, rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]],
                columns: Sequence[str] | None = None) -> None:
    """Insert the rows in one executemany: mappings with the same keys; or, given `columns`, tuples
    of their values (a million statement lines: a tuple holds a row in a third of a dict's memory)."""
    if not rows:
        return
    db.flush()
    connection = db.connection()
    mappings = columns is None
    columns = list(rows[0] if mappings else columns)  # type: ignore[arg-type]
    if connection.dialect.name != "sqlite":
        connection.execute(insert(table), list(rows) if mappings else [
            dict(zip(columns, row, strict=True)) for row in rows])
        return
    values = ({key: [row[key] for row in rows] for key in columns} if mappings  # type: ignore[call-overload]
              else dict(zip(columns, map(list, zip(*rows, strict=True)), strict=True)))
    statement = insert(table).compile(dialect=connection.dialect, column_keys=columns)
    for name in statement.positiontup or ():  # a column the rows leave to its Python default
        if name not in values and table.c[name].default is not None:
            values[name] = [getattr(table.c[name].default, "arg", None)] * len(rows)
    _sqlite_many(connection, statement, values)


def update_rows(db: OrmSession, table: Table, key: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """For each row (mappings with the same keys), set its other columns where `key` is its `key`,
    in one executemany."""
    if not rows:
        return
    db.flush()
    connection = db.connection()
    columns = [column for column in rows[0] if column != key]
    statement = update(table).where(table.c[key] == bindparam(f"{key}_", type_=table.c[key].type)).values(
        {column: bindparam(f"{column}_", type_=table.c[column].type) for column in columns})
    if connection.dialect.name != "sqlite":
        connection.execute(statement, [{f"{name}_": value for name, value in row.items()} for row in rows])
        return
    _sqlite_many(connection, statement.compile(dialect=connection.dialect),
                 {f"{name}_": [row[name] for row in rows] for name in (*columns, key)})


def _sqlite_many(connection: Connection, statement: Compiled, values: dict[str, list[Any]]) -> None:
    """The compiled statement once per row, `values` by bind name (each its list of values). A large
    write gets a bigger page cache for itself only (an index taking its entries in random order
    otherwise goes at the pace of the cache misses: memory, not durability; the setting is restored)."""
    dialect = connection.dialect
    columns = []
    for name in statement.positiontup or ():
        process = statement.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        column = values[name]
        if process is not None:
            first = column[0]  # one object throughout (the run's time): converted once
            column = [process(first)] * len(column) if all(value is first for value in column) \
                else list(map(process, column))
        columns.append(column)
    rows = list(zip(*columns, strict=True))
    if len(rows) < _LARGE_WRITE:
        connection.exec_driver_sql(str(statement), rows)
        return
    cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size={_WRITE_CACHE_KIB}")
    try:
        connection.exec_driver_sql(str(statement), rows)
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")
