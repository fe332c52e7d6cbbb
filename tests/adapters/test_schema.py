"""The schema: migrations give exactly the models, on both databases, and upgrading is safe
to repeat and to run from two processes at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from adapters.database import make_engine, upgrade_to_head
from adapters.models import Base
from tests.conftest import POSTGRES_SERVER_URL

ROOT = Path(__file__).resolve().parents[2]


def test_the_migrations_build_exactly_the_models(engine):
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_upgrading_an_up_to_date_database_changes_nothing(engine):
    with engine.connect() as connection:
        before = connection.scalar(text("SELECT version_num FROM alembic_version"))
    upgrade_to_head(engine)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == before


def test_a_fresh_sqlite_file_is_created_and_migrated(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'new.sqlite3'}")
    upgrade_to_head(engine)
    assert {"sessions", "effects", "audit_log", "row_history"} <= set(inspect(engine).get_table_names())


def upgrade_together(url: str, processes: int) -> list[int]:
    """Several processes upgrading the same database at the same instant, after their imports."""
    code = ("import sys, time; from adapters.database import make_engine, upgrade_to_head; "
            "engine = make_engine(sys.argv[1]); time.sleep(max(0, float(sys.argv[2]) - time.time())); "
            "upgrade_to_head(engine)")
    start = str(time.time() + 3)
    racers = [subprocess.Popen([sys.executable, "-c", code, url, start], cwd=ROOT)
              for _ in range(processes)]
    return [racer.wait(timeout=120) for racer in racers]


def test_processes_upgrading_a_fresh_postgresql_schema_at_once():
    # its own schema: two test processes at once (pytest-xdist, a developer's and CI's runs)
    # never drop each other's
    schema = f"migration_race_{os.getpid()}"
    admin = create_engine(POSTGRES_SERVER_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = POSTGRES_SERVER_URL + f"?options=-csearch_path%3D{schema}"
    try:
        assert upgrade_together(url, 3) == [0, 0, 0]
        tables = inspect(create_engine(url)).get_table_names(schema=schema)
        assert {"sessions", "effects", "alembic_version"} <= set(tables)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def test_processes_upgrading_a_fresh_sqlite_file_at_once(tmp_path):
    # a worker starting three deployment runs on a new installation: SQLite runs DDL outside the
    # transaction, so without their turns the second process found "table audit_log already exists"
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    assert upgrade_together(url, 6) == [0] * 6
    assert {"sessions", "effects", "alembic_version"} <= set(inspect(create_engine(url)).get_table_names())
