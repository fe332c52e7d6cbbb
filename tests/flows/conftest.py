"""One Prefect test harness for the whole session (see docs: prefect-notes §2.2 and §7):
started once, heartbeat off, analytics off (set in tests/conftest.py), private home."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90), \
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
