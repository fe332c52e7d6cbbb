"""Shared fixtures. The environment is fixed before anything imports Prefect or the settings:
a private Prefect home, no telemetry, never a real Prefect server, never the user's data folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="backoffice-tests-"))
os.environ["PREFECT_HOME"] = str(_TMP / "prefect-home")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "90"
os.environ["PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW"] = "ignore"
os.environ.pop("PREFECT_API_URL", None)
os.environ["BACKOFFICE_DATA_DIR"] = str(_TMP / "data")
os.environ.pop("DATABASE_URL", None)
os.environ["BACKOFFICE_ENV_FILE"] = str(_TMP / "no.env")  # a developer's .env never leaks in
# every address of the test data is on .example (RFC 2606): let the mailers write and send them
# (outside the demo and the tests they are refused; tests/adapters/test_reserved_domains.py)
os.environ["BACKOFFICE_ALLOW_RESERVED_EMAIL_DOMAINS"] = "yes"
for _name in ("SMTP_HOST", "BACKOFFICE_EXPORT_INBOX", "BACKOFFICE_BANK_INBOX",
              "BACKOFFICE_OUTPUT_DIR", "BACKOFFICE_OUTBOX_DIR"):
    os.environ.pop(_name, None)

import random  # noqa: E402

import pytest  # noqa: E402
import time_machine  # noqa: E402
import websockets.asyncio.connection  # noqa: E402
from sqlalchemy import Engine, create_engine, delete, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from adapters.database import ready_engine  # noqa: E402
from adapters.models import Base  # noqa: E402

# Prefect's events client pings its websocket from a background thread (on connecting, and
# websockets' keepalive), and websockets draws each ping's payload from the global `random`
# (`random.getrandbits`). On a pytest-xdist worker that ran flows, a Hypothesis test running
# meanwhile saw the global random move during a draw and warned « Do not use the `random` module
# inside strategies » (HypothesisDeprecationWarning, from a different test each run): not ours.
# websockets gets a random of its own, so the warning keeps meaning our strategies.
websockets.asyncio.connection.random = random.Random()  # type: ignore[assignment]

POSTGRES_SERVER_URL = os.environ.get("TEST_POSTGRES_URL",
                                     "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Each test run works in its own schema, so two runs on one server (a developer's and CI's)
# never see each other's rows; the schema is dropped when the run ends.
POSTGRES_SCHEMA = f"backoffice_test_{os.getpid()}"
POSTGRES_URL = f"{POSTGRES_SERVER_URL}?options=-csearch_path%3D{POSTGRES_SCHEMA}"
SQLITE_URL = f"sqlite:///{_TMP / 'test.sqlite3'}"
DATABASES = {"sqlite": SQLITE_URL, "postgresql": POSTGRES_URL}


def _postgres_schema(create: bool) -> None:
    statement = (f"CREATE SCHEMA IF NOT EXISTS {POSTGRES_SCHEMA}" if create
                 else f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE")
    admin = create_engine(POSTGRES_SERVER_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def database_engine(name: str) -> Engine:
    """The migrated engine of a test database ("sqlite" or "postgresql")."""
    try:
        if name == "postgresql":
            _postgres_schema(create=True)
        return ready_engine(DATABASES[name])
    except OperationalError as exc:
        pytest.fail(f"{name} unreachable at {DATABASES[name]} (PostgreSQL is required: start "
                    f"it, or point TEST_POSTGRES_URL at one): {exc}")


# Days far from any real "today" on which the date-sensitive tests also run, with the whole
# process's wall clock moved there (time-machine): an outcome that depends on the real date, a
# time bomb, fails at once instead of on the day it goes off. The instants are those of a
# summer nightly and of the last minutes of a year, in Paris.
FAKED_TODAYS = ("2027-07-01T04:30:00+02:00", "2027-12-31T23:40:00+01:00")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "any_date: the test runs with the real wall clock and again with it moved to "
                   "each of FAKED_TODAYS (tests/conftest.py), and must pass on each")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n logical` (pyproject.toml's addopts): the suite, or a folder, runs on pytest-xdist
    workers, one more than the CPUs: a worker spends about a third of its time waiting
    (PostgreSQL, the Prefect server, the processes of the race tests, their start barriers),
    and the extra one keeps the CPUs busy meanwhile (measured: docs/performance.md). A run of
    named files or tests stays in one process, where starting workers would cost more than it
    saves. An explicit `-n N` is obeyed as given."""
    if config.args and all(Path(arg.split("::")[0]).is_file() for arg in config.args):
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cpus or 1) + 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the test files are handed out whole, one at a time to a worker about
    to run out (`--dist loadscope`), in collection order: put first the files with the longest
    tests, the real Prefect server's (marker `server`) then the flows' under the harness
    (`prefect`), so that they run side by side from the start and the many short files fill in
    at the end, instead of one long test starting last. One process keeps the file order."""
    if not hasattr(config, "workerinput"):
        return
    items.sort(key=lambda item: 0 if item.get_closest_marker("server")
               else 1 if item.get_closest_marker("prefect") else 2)  # stable: same order on each


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("any_date"):
        metafunc.fixturenames.append("wall_clock")
        metafunc.parametrize("wall_clock", ["today", *FAKED_TODAYS], indirect=True,
                             ids=["today", *(f"on-{day[:10]}" for day in FAKED_TODAYS)])


@pytest.fixture
def wall_clock(request: pytest.FixtureRequest) -> Iterator[str]:
    """The wall clock of the test's process: the real one, or moved to a day of FAKED_TODAYS
    (ticking from there) while the test runs."""
    instant = getattr(request, "param", "today")
    if instant == "today":
        yield instant
        return
    with time_machine.travel(datetime.fromisoformat(instant), tick=True):
        yield instant


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    with contextlib.suppress(OperationalError):  # PostgreSQL gone: nothing left to drop
        _postgres_schema(create=False)


def clear_tables(engine: Engine) -> None:
    """Every table emptied, children first. On PostgreSQL in one round trip (a test's set-up:
    10 ms as one statement per table, 1 ms so); SQLite takes one statement at a time."""
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("; ".join(f'DELETE FROM "{t.name}"' for t in tables))
            return
        for table in tables:
            connection.execute(delete(table))


@pytest.fixture(params=list(DATABASES), ids=list(DATABASES))
def engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated, empty database: every database test runs on SQLite and on PostgreSQL. Emptied
    before each test (every user of the test databases empties them first), not after."""
    engine = database_engine(request.param)
    clear_tables(engine)
    return engine


@pytest.fixture
def data_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the settings' folders at a temporary data folder for one test."""
    from adapters.settings import get_settings

    monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()
