"""The parts of `make ui` that need no Prefect server: stopping by process id, the state file,
the settings handed to the worker."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

import ops.operator_setup
from ops.operator_setup import (
    alive,
    deployed_digest,
    deployments_up_to_date,
    group_members,
    place,
    port_is_free,
    prefect_toml_environment,
    spawn,
    stop,
    terminate,
    work_pool_name,
)

ROOT = Path(__file__).resolve().parents[2]


def test_prefect_toml_reaches_the_worker_as_environment_with_absolute_paths():
    env = prefect_toml_environment()
    assert env["PREFECT_LOGGING_EXTRA_LOGGERS"] == "adapters,services,tasks,flows,ops,backoffice"
    assert env["PREFECT_LOGGING_CONFIG_PATH"] == str(ROOT / "logging.yml")
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert env["PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW"] == "ignore"
    assert work_pool_name() == "backoffice-process"


def test_what_the_deployments_are_made_of_changes_the_digest(tmp_path, monkeypatch):
    """`make ui` run again deploys only when the digest changed: prefect.yaml, prefect.toml,
    the code of any layer (a form's type may live there) or the checkout's place."""
    checkout = tmp_path / "checkout"
    for name in ("prefect.yaml", "prefect.toml", "flows/nightly.py", "services/funding.py"):
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(f"# {name}\n", encoding="utf-8")
    (checkout / "docs").mkdir()
    monkeypatch.setattr(ops.operator_setup, "PROJECT_ROOT", checkout)
    seen = {deployed_digest()}
    assert deployed_digest() in seen  # the same checkout: the same digest

    (checkout / "docs" / "operators.md").write_text("not deployed", encoding="utf-8")
    assert deployed_digest() in seen
    for name in ("prefect.yaml", "prefect.toml", "flows/nightly.py", "services/funding.py"):
        with (checkout / name).open("a", encoding="utf-8") as changed:
            changed.write("# changed\n")
        assert deployed_digest() not in seen, name
        seen.add(deployed_digest())
    (checkout / "tasks").mkdir()
    (checkout / "tasks" / "new.py").write_text("", encoding="utf-8")  # a module added
    assert deployed_digest() not in seen
    seen.add(deployed_digest())
    moved = tmp_path / "moved"
    checkout.rename(moved)
    monkeypatch.setattr(ops.operator_setup, "PROJECT_ROOT", moved)
    assert deployed_digest() not in seen  # the pull step's directory changes


def test_deployed_again_when_the_code_changed_or_a_deployment_is_missing():
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    on_server = [f"flow-of-{d['name']}/{d['name']}" for d in config["deployments"]]
    state = {"deployed": "digest-of-the-last-deploy"}
    assert deployments_up_to_date(state, "digest-of-the-last-deploy", on_server)
    assert deployments_up_to_date(state, "digest-of-the-last-deploy", [*on_server, "old/other"])
    assert not deployments_up_to_date(state, "digest-now", on_server)  # the code changed
    assert not deployments_up_to_date({}, "digest-of-the-last-deploy", on_server)  # new server
    nightly_deleted = [name for name in on_server if not name.endswith("/nightly")]
    assert not deployments_up_to_date(state, "digest-of-the-last-deploy", nightly_deleted)


def test_make_ui_stop_never_loads_prefect(tmp_path):
    """A kill by process id: `make ui-stop` does not pay Prefect's import (about 2 s)."""
    code = ("import sys\nfrom ops.operator_setup import main\ncode = main(['stop'])\n"
            "assert 'prefect' not in sys.modules, 'Prefect imported'\nsys.exit(code)")
    env = os.environ | {"BACKOFFICE_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Rien à arrêter")


def test_a_process_group_that_ignores_sigterm_is_stopped_all_the_same(tmp_path):
    # a leader that ignores SIGTERM, with a child in its group: the second SIGTERM does nothing
    # either, so the group gets SIGTERM then SIGKILL
    pid = spawn(["bash", "-c", "trap '' TERM; sleep 60 & wait"], {"PATH": "/usr/bin:/bin"},
                tmp_path / "stubborn.log")
    deadline = time.monotonic() + 5
    while len(group_members(pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(group_members(pid)) == 2

    assert terminate(pid, timeout=1.0) == "arrêté"
    assert not alive(pid) and group_members(pid) == []


def test_stop_forgets_process_ids_that_are_not_ours_any_more(tmp_path):
    where = place(tmp_path)
    sleeper = subprocess.Popen(["sleep", "30"])  # alive, but not a Prefect server we started
    try:
        where.base.mkdir(parents=True)
        where.pid_file.write_text(json.dumps({"server": {"pid": sleeper.pid},
                                              "worker": {"pid": 2 ** 22 + 7}}))
        said: list[str] = []
        assert stop(tmp_path, say=said.append) == 0
        assert said == [f"worker (pid {2 ** 22 + 7}) : déjà arrêté",
                        f"server (pid {sleeper.pid}) : déjà arrêté"]
        assert sleeper.poll() is None  # left alone
        assert not where.pid_file.exists()
        assert stop(tmp_path, say=said.append) == 0 and said[-1].startswith("Rien à arrêter")
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_port_in_use_is_seen():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert not port_is_free("127.0.0.1", busy.getsockname()[1])


def test_a_port_whose_server_just_stopped_is_free_again():
    # a server that accepted a connection and closed first: its side stays in TIME-WAIT for a
    # minute, which a plain bind() mistakes for a port in use (`make ui` after `make ui-stop`)
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server's side closes first: it is the one left in TIME-WAIT
        client.recv(1)
        client.close()
    time.sleep(0.1)
    with socket.socket() as plain:  # the situation: a bind without SO_REUSEADDR is refused
        try:
            plain.bind(("127.0.0.1", port))
            time_wait = False
        except OSError:
            time_wait = True
    assert time_wait, "no TIME-WAIT socket was left: the test did not set its situation up"
    assert port_is_free("127.0.0.1", port)
