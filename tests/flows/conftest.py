"""One Prefect test harness for the whole session (see docs: prefect-notes §2.2 and §7):
started once, heartbeat off, analytics off (set in tests/conftest.py), private home."""

from __future__ import annotations

from collections.abc import Iterator

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


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    import prefect.settings
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # set explicitly, so passed to the harness's server process (and to no other)
    services_off = {getattr(prefect.settings, name): False for name in HARNESS_SERVICES_OFF}
    with temporary_settings(updates=services_off), \
            prefect_test_harness(server_startup_timeout=90), \
            temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@pytest.fixture
def pipeline_env(engine, data_dirs, monkeypatch, prefect_harness):
    """The flows' settings point at the test database and a temporary data folder."""
    from adapters.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
