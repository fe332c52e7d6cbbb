"""The operators' set-up tests (`make ui`): a real Prefect server, worker and deployments."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "server: starts a real Prefect server and worker on a free loopback port "
                   "(`make ui`'s set-up; about a minute)")
