"""One Prefect test harness for the whole session (see docs: prefect-notes §2.2 and §7):
started once, heartbeat off, analytics off (set in tests/conftest.py), private home."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

# The harness's server runs only what the flow tests use: the API. Its background services
# (the task-run recorder and event persister that store what the UI shows, the triggers, the
# scheduler, the late-run, foreman, pause, repossessor and clean-up loops) record what no test
# reads, and the UI serves nobody. With them on, the harness servers took about a fifth of the
# whole suite's CPU and slowed the flows they served (tests/flows/test_nightly.py and
# test_alerts.py: 96 s → 55 s; docs/performance.md). Only the harness: the `make ui` test starts
# the operators' server as it is (tests/ops/test_operator_setup.py).
HARNESS_SERVICES_OFF = (
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED",
    "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED",
    "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED",
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED",
    "PREFECT_SERVER_SERVICES_REPOSSESSOR_ENABLED",
    "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED",
    "PREFECT_SERVER_SERVICES_CLEANUP_RECONCILER_ENABLED",
    "PREFECT_UI_ENABLED",
)
HARNESS_DATABASE = "prefect-test.db"  # the name prefect_test_harness gives its database


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[None]:
    import prefect.settings
    import prefect.testing.utilities
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # set explicitly, so passed to the harness's server process (and to no other)
    services_off = {getattr(prefect.settings, name): False for name in HARNESS_SERVICES_OFF}
    home = Path(tempfile.mkdtemp(prefix="prefect-harness-"))
    with contextlib.ExitStack() as stack:
        stack.enter_context(temporary_settings(updates=services_off))
        with _migrated_once(tmp_path_factory, worker_id, home / HARNESS_DATABASE), \
                mock.patch.object(prefect.testing.utilities, "mkdtemp", return_value=str(home)):
            stack.enter_context(prefect_test_harness(server_startup_timeout=90))
        stack.enter_context(temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}))
        yield


@contextlib.contextmanager
def _migrated_once(tmp_path_factory: pytest.TempPathFactory, worker_id: str, database: Path
                   ) -> Iterator[None]:
    """Under pytest-xdist, the first worker's harness migrates its new database (about 12 s of
    CPU on 2 cores) and leaves a copy; the other workers' harnesses start from that copy (about
    6 s instead of 18). One at a time, under a lock in the run's shared temporary folder."""
    if worker_id == "master":  # one process, one harness: nothing to share
        yield
        return
    template = tmp_path_factory.getbasetemp().parent / "prefect-harness.db"
    with open(template.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if template.exists():
            shutil.copyfile(template, database)
        yield  # the harness starts: migrates the database, or finds it migrated
        if not template.exists():
            with contextlib.closing(sqlite3.connect(database)) as source, \
                    contextlib.closing(sqlite3.connect(template)) as copy:
                source.backup(copy)


@pytest.fixture
def pipeline_env(engine, data_dirs, monkeypatch, prefect_harness):
    """The flows' settings point at the test database and a temporary data folder."""
    from adapters.settings import get_settings
    from flows.nightly import nightly

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    # a nightly that raises in a test fails after its second attempt at once, not after the
    # production pause (5 min) between the two
    monkeypatch.setattr(nightly, "retry_delay_seconds", 0)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
