"""Which Prefect a command uses (ops/local_prefect.py, ops/cli.py): the commands that run no flow
never import Prefect; a flow command uses the configured API, else `make ui`'s server when it
answers, else a temporary server, without waiting on a server that does not answer. Stand-in
servers here; the real `make ui` server is in test_operator_setup.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.local_prefect import choose_api, configured_api_url
from ops.operator_setup import terminate

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE = "http://127.0.0.1:9/api"  # discard port: nothing listens

# A stand-in for `prefect server start` (its command line says so, as `ours` checks): answers
# /api/health, or ("mute") accepts connections and never answers.
STAND_IN = """
import http.server, socket, sys, time
port, mode = int(sys.argv[4]), sys.argv[5]
if mode == "mute":
    listener = socket.create_server(("127.0.0.1", port))
    time.sleep(600)
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")
http.server.HTTPServer(("127.0.0.1", port), Health).serve_forever()
"""


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stand_in_server(data_dir: Path, mode: str) -> Iterator[str]:
    port = free_loopback_port()
    process = subprocess.Popen([sys.executable, "-c", STAND_IN, "prefect", "server", "start",
                                str(port), mode], start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the stand-in server did not start"
                time.sleep(0.1)
        api_url = f"http://127.0.0.1:{port}/api"
        (data_dir / "prefect").mkdir(parents=True)
        (data_dir / "prefect" / "pids.json").write_text(json.dumps(
            {"url": api_url.removesuffix("/api"), "api_url": api_url,
             "server": {"pid": process.pid, "log": "server.log"}}), encoding="utf-8")
        yield api_url
    finally:
        terminate(process.pid, timeout=5)
        process.wait(timeout=10)


@pytest.fixture
def answering_server(tmp_path: Path) -> Iterator[str]:
    yield from stand_in_server(tmp_path / "data", "ok")


@pytest.fixture
def mute_server(tmp_path: Path) -> Iterator[str]:
    yield from stand_in_server(tmp_path / "data", "mute")


def no_api(tmp_path: Path) -> dict[str, str]:
    return {"PREFECT_HOME": str(tmp_path / "prefect-home")}


@pytest.mark.parametrize("command", [["report", "--out", "{tmp}/report"], ["migrate"]])
def test_commands_that_run_no_flow_never_import_prefect(tmp_path, command):
    """Neither a temporary server nor a configured one (unreachable here) nor Prefect's import."""
    args = [part.format(tmp=tmp_path) for part in command]
    code = ("import sys\nfrom ops.cli import main\ncode = main(sys.argv[1:])\n"
            "assert 'prefect' not in sys.modules, 'Prefect imported'\nsys.exit(code)")
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    env.update(BACKOFFICE_DATA_DIR=str(tmp_path / "data"), PREFECT_API_URL=UNREACHABLE,
               PREFECT_SERVER_EPHEMERAL_ENABLED="false")
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "temporary server" not in done.stderr
    if command[0] == "report":
        assert (tmp_path / "report" / "sessions.csv").is_file()
    else:
        assert "Base à jour : sqlite:///" in done.stdout
    assert time.monotonic() - began < 30


def test_a_configured_api_is_left_to_prefect(tmp_path, answering_server):
    env = no_api(tmp_path) | {"PREFECT_API_URL": UNREACHABLE}
    assert choose_api(env, tmp_path / "data") == ("configured", "")
    assert env["PREFECT_API_URL"] == UNREACHABLE


def test_an_api_in_the_active_profile_is_configured_too(tmp_path):
    env = no_api(tmp_path)
    (tmp_path / "prefect-home").mkdir()
    (tmp_path / "prefect-home" / "profiles.toml").write_text(
        'active = "ops"\n[profiles.ops]\nPREFECT_API_URL = "http://10.0.0.1:4200/api"\n'
        '[profiles.other]\nPREFECT_API_URL = "http://10.0.0.2:4200/api"\n', encoding="utf-8")
    assert configured_api_url(env) == "http://10.0.0.1:4200/api"
    assert configured_api_url(env | {"PREFECT_PROFILE": "other"}) == "http://10.0.0.2:4200/api"
    assert choose_api(env, tmp_path / "data") == ("configured", "")
    assert "PREFECT_API_URL" not in env


def test_the_server_make_ui_started_is_used_when_it_answers(tmp_path, answering_server):
    env = no_api(tmp_path)
    assert choose_api(env, tmp_path / "data") == ("make ui", "")
    assert env["PREFECT_API_URL"] == answering_server


def test_a_server_that_does_not_answer_is_not_waited_for(tmp_path, mute_server):
    env = no_api(tmp_path)
    began = time.monotonic()
    which, note = choose_api(env, tmp_path / "data")
    assert time.monotonic() - began < 5
    assert which == "temporary" and "PREFECT_API_URL" not in env
    assert "ne répond pas : serveur temporaire" in note and mute_server in note


def test_without_make_ui_or_with_a_process_id_not_its_server_a_temporary_server(tmp_path):
    env = no_api(tmp_path)
    assert choose_api(env, tmp_path / "data") == ("temporary", "")
    (tmp_path / "data" / "prefect").mkdir(parents=True)
    pid_file = tmp_path / "data" / "prefect" / "pids.json"
    for state in ({"api_url": UNREACHABLE, "server": {"pid": os.getpid()}}, {"url": "?"}, "["):
        pid_file.write_text(state if isinstance(state, str) else json.dumps(state),
                            encoding="utf-8")
        assert choose_api(env, tmp_path / "data") == ("temporary", "")
    assert "PREFECT_API_URL" not in env


def test_settings_in_error_are_said_in_french_and_leave_the_choice_to_the_flow(tmp_path,
                                                                              monkeypatch, capsys):
    from adapters.settings import get_settings
    from ops.cli import main

    monkeypatch.setenv("BACKOFFICE_PEC_REMINDER_DAYS", "bientôt")
    get_settings.cache_clear()
    try:
        assert main(["report", "--out", str(tmp_path / "report")]) == 1
        err = capsys.readouterr().err
        assert err.startswith("ERREUR BACKOFFICE_PEC_REMINDER_DAYS") and "Traceback" not in err
        assert choose_api(no_api(tmp_path)) == ("temporary", "")
    finally:
        get_settings.cache_clear()
