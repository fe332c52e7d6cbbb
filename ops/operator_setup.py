"""The operators' Prefect on this machine, in one command (`make ui`) and stopped by another
(`make ui-stop`); see docs/operators.md.

`start` brings up, on 127.0.0.1 (port 4200 unless told otherwise):
- a Prefect server, its home and SQLite database in `<data dir>/prefect/home` (PostgreSQL when
  PREFECT_SERVER_DATABASE_CONNECTION_URL is set);
- the process work pool of prefect.yaml and the global concurrency limits (`money-moving`: 1);
- every deployment of prefect.yaml (`prefect --no-prompt deploy --all`);
- a worker on the pool.
The process ids go to `<data dir>/prefect/pids.json`, the logs next to it. Running `start` again
starts nothing that is running already: it deploys again when what the deployments are made of
changed since the last deploy (`deployed_digest`) or a deployment is missing, recreates what is
missing (the pool, a limit, a dead worker) and prints the address. `stop` stops the worker then
the server by their process ids (each in its own process group) and removes the file.

    python -m ops.operator_setup start [--host 127.0.0.1] [--port 4200]
    python -m ops.operator_setup stop
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import yaml

from adapters.settings import PROJECT_ROOT, read_dotenv
from ops.local_prefect import (
    Place,
    alive,
    group_members,
    ours,
    place,
    read_state,
)
from ops.local_prefect import command_line as _command_line

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4200
WORKER_NAME = "backoffice-worker"
SERVER_START_TIMEOUT = 180.0  # a fresh SQLite database takes ~11 s on 2 cores; slow disks more
WORKER_START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0
BIN = Path(sys.executable).parent
DATABASE_URL_VARIABLES = ("PREFECT_SERVER_DATABASE_CONNECTION_URL",
                          "PREFECT_API_DATABASE_CONNECTION_URL")


class SetupError(RuntimeError):
    """The set-up could not go on; the message says why and which log to read."""


def concurrency_limits() -> dict[str, int]:
    """The global concurrency limits the flows rely on: name -> slots. Imported here, not at
    the top: tasks.context loads Prefect (2 s), which `stop` does not need."""
    from tasks.context import MONEY_MOVING_LIMIT

    return {MONEY_MOVING_LIMIT: 1}


def _prefect_yaml() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))


def work_pool_name() -> str:
    """The work pool every deployment of prefect.yaml uses (one place: prefect.yaml)."""
    return _prefect_yaml()["definitions"]["work_pool"]["name"]


def deployments_of_prefect_yaml() -> set[str]:
    return {deployment["name"] for deployment in _prefect_yaml()["deployments"]}


# What `prefect deploy --all` makes the deployments of: prefect.yaml, prefect.toml (the runs'
# settings), the checkout's place (the pull step) and the code the flows and their forms come
# from (a parameter's type may live in any layer).
DEPLOYED_FILES = ("prefect.yaml", "prefect.toml")
DEPLOYED_CODE = ("backoffice", "adapters", "services", "tasks", "flows", "ops")


def deployed_digest() -> str:
    """A digest of what the deployments are made of: equal digests, nothing to deploy again."""
    digest = hashlib.sha256(str(PROJECT_ROOT).encode())
    paths = [PROJECT_ROOT / name for name in DEPLOYED_FILES]
    paths += sorted(path for folder in DEPLOYED_CODE for path in (PROJECT_ROOT / folder).rglob("*.py"))
    for path in paths:
        digest.update(b"\0" + path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


# ------------------------------------------------------------------ processes (by id, Linux /proc)


def spawn(args: list[str], env: dict[str, str], log: Path) -> int:
    """Start `args` in the background in its own session and process group, output to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(args, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return process.pid


def terminate(pid: int, timeout: float = STOP_TIMEOUT) -> str:
    """Stop the process group led by `pid`: SIGTERM to the leader (a worker stops its runs), a
    second SIGTERM if it is still there (a worker started without job control ignores the first,
    prefect-notes §3.6), then SIGTERM and SIGKILL to whatever is left in the group."""
    steps: list[tuple[Callable[[], None], float]] = [
        (lambda: os.kill(pid, signal.SIGTERM), timeout * 0.6),
        (lambda: os.kill(pid, signal.SIGTERM), timeout * 0.2),
        (lambda: os.killpg(pid, signal.SIGTERM), timeout * 0.2),
        (lambda: os.killpg(pid, signal.SIGKILL), 5.0),
    ]
    for number, (send, wait) in enumerate(steps, 1):
        if not group_members(pid):
            return "arrêté" if number > 1 else "déjà arrêté"
        with contextlib.suppress(ProcessLookupError):
            send()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and (alive(pid) if number <= 2 else group_members(pid)):
            time.sleep(0.2)
    return "arrêté" if not group_members(pid) else "TOUJOURS LÀ"


# ------------------------------------------------------------------ environment and state


def prefect_toml_environment() -> dict[str, str]:
    """prefect.toml as environment variables, paths made absolute: the flow runs a worker starts
    work in a temporary folder, where prefect.toml is not found."""
    config = tomllib.loads((PROJECT_ROOT / "prefect.toml").read_text(encoding="utf-8"))
    env: dict[str, str] = {}

    def walk(prefix: str, table: dict) -> None:
        for key, value in table.items():
            name = f"{prefix}_{key}".upper()
            if isinstance(value, dict):
                walk(name, value)
            elif isinstance(value, bool):
                env[name] = "true" if value else "false"
            elif name.endswith("_PATH"):
                env[name] = str((PROJECT_ROOT / str(value)).resolve())
            else:
                env[name] = str(value)

    walk("PREFECT", config)
    return env


def child_environment(home: Path, api_url: str) -> dict[str, str]:
    """The environment of the server, the deploy command and the worker (hence of the flow runs:
    the back office's own settings — DATABASE_URL, folders, SMTP — pass through unchanged)."""
    env = dict(os.environ)
    for name, value in prefect_toml_environment().items():
        env.setdefault(name, value)
    env.update(PREFECT_HOME=str(home), PREFECT_API_URL=api_url,
               PREFECT_SERVER_ANALYTICS_ENABLED="false", BACKOFFICE_HOME=str(PROJECT_ROOT))
    env.pop("PREFECT_PROFILE", None)
    return env


def database_description(home: Path) -> str:
    dotenv = read_dotenv(PROJECT_ROOT / ".env")
    for name in DATABASE_URL_VARIABLES:
        url = os.environ.get(name) or dotenv.get(name)
        if url:
            kind = "PostgreSQL" if url.startswith("postgresql") else url.split(":", 1)[0]
            return f"{kind} ({name})"
    return f"SQLite, {home / 'prefect.db'}"


def write_state(where: Place, state: dict) -> None:
    where.pid_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = where.pid_file.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    temporary.replace(where.pid_file)


def port_is_free(host: str, port: int) -> bool:
    """Nothing listens on the port. Bound as the server will bind it (SO_REUSEADDR, as uvicorn
    does): the connections of a server just stopped, left in TIME-WAIT for a minute, do not
    make a free port look busy (`make ui` right after `make ui-stop`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _tail(log: Path, lines: int = 25) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(pas de journal)"


def wait_for_health(api_url: str, pid: int, log: Path, timeout: float = SERVER_START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            raise SetupError(f"le serveur Prefect s'est arrêté au démarrage ; journal {log} :\n"
                             + _tail(log))
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise SetupError(f"le serveur Prefect ne répond pas après {timeout:.0f} s ; journal {log}")


# ------------------------------------------------------------------ the API side


def _client(api_url: str):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    @contextlib.contextmanager
    def client():
        with temporary_settings(updates={PREFECT_API_URL: api_url}), \
                get_client(sync_client=True) as api:
            yield api

    return client()


def ensure_pool_and_limits(api_url: str, pool: str) -> list[str]:
    """Create the process work pool and the concurrency limits if missing; say what was done."""
    from prefect.client.schemas.actions import (
        GlobalConcurrencyLimitUpdate,
        WorkPoolCreate,
    )
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    done = []
    with _client(api_url) as api:
        try:
            api.read_work_pool(pool)
        except ObjectNotFound:
            api.create_work_pool(WorkPoolCreate(
                name=pool, type="process",
                base_job_template=ProcessWorker.get_default_base_job_template()))
            done.append(f"file de travail {pool} créée")
        for name, slots in concurrency_limits().items():
            try:
                existing = api.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                existing = None
            api.upsert_global_concurrency_limit_by_name(name, slots)
            if existing is None:
                done.append(f"limite de concurrence {name} créée ({slots})")
            elif not existing.active:
                api.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(active=True))
                done.append(f"limite de concurrence {name} réactivée")
            elif existing.limit != slots:
                done.append(f"limite de concurrence {name} remise à {slots}")
    return done


def deploy(env: dict[str, str], log: Path) -> None:
    """`prefect --no-prompt deploy --all` from the checkout (its pull step: BACKOFFICE_HOME)."""
    with log.open("ab") as out:
        result = subprocess.run([str(BIN / "prefect"), "--no-prompt", "deploy", "--all"],
                                cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, timeout=600, check=False)
    if result.returncode != 0:
        raise SetupError(f"le déploiement a échoué (code {result.returncode}) ; journal {log} :\n"
                         + _tail(log))


def deployment_names(api_url: str) -> list[str]:
    """The server's deployments, as `flow/deployment`."""
    with _client(api_url) as api:
        flows = {f.id: f.name for f in api.read_flows()}
        return sorted(f"{flows.get(d.flow_id, '?')}/{d.name}" for d in api.read_deployments())


def deployments_up_to_date(state: dict, digest: str, on_server: list[str]) -> bool:
    """Deployed from this very checkout and code (`digest`), and none of prefect.yaml's missing
    from the server's `flow/deployment` names (an operator may have deleted one in the UI)."""
    if state.get("deployed") != digest:
        return False
    return deployments_of_prefect_yaml() <= {name.partition("/")[2] for name in on_server}


def wait_for_worker(api_url: str, pool: str, pid: int, log: Path, since: float,
                    timeout: float = WORKER_START_TIMEOUT) -> None:
    """Until the worker has told the server it polls the pool (its first heartbeat)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            raise SetupError(f"le worker s'est arrêté au démarrage ; journal {log} :\n" + _tail(log))
        with _client(api_url) as api:
            workers = api.read_workers_for_work_pool(pool)
        if any(w.name == WORKER_NAME and w.last_heartbeat_time
               and w.last_heartbeat_time.timestamp() >= since - 1 for w in workers):
            return
        time.sleep(1)
    raise SetupError(f"le worker ne s'est pas signalé après {timeout:.0f} s ; journal {log}")


# ------------------------------------------------------------------ the commands


def start(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, data_dir: Path | None = None,
          say: Callable[[str], None] = print) -> int:
    """Start (or complete) the operators' Prefect; 0 when the UI is up with a worker."""
    where = place(data_dir)
    where.home.mkdir(parents=True, exist_ok=True)
    pool = work_pool_name()
    state = read_state(where)
    started: list[int] = []
    if state and ours(state["server"]["pid"], "server"):
        api_url = state["api_url"]
        say(f"Serveur Prefect déjà démarré (pid {state['server']['pid']}) : {state['url']}")
    else:
        if state:  # what is left of a set-up that died: stop it, start again
            stop(data_dir, say=lambda _: None)
        if not port_is_free(host, port):
            say(f"Le port {host}:{port} est occupé : choisir un autre port "
                f"(make ui UI_PORT=4300) ou arrêter ce qui l'occupe.")
            return 1
        url = f"http://{host}:{port}"
        api_url = f"{url}/api"
        state = {"url": url, "api_url": api_url, "home": str(where.home),
                 "database": database_description(where.home)}
        say(f"Démarrage du serveur Prefect sur {url} (base : {state['database']})…")
        pid = spawn([str(BIN / "prefect"), "server", "start", "--host", host, "--port", str(port)],
                    child_environment(where.home, api_url), where.log("server"))
        started.append(pid)
        state["server"] = {"pid": pid, "log": str(where.log("server"))}
        write_state(where, state)
    env = child_environment(where.home, api_url)
    try:
        wait_for_health(api_url, state["server"]["pid"], where.log("server"))
        for line in ensure_pool_and_limits(api_url, pool):
            say(f"  {line}")
        digest = deployed_digest()
        if deployments_up_to_date(state, digest, deployment_names(api_url)):
            say("Déploiements à jour (prefect.yaml et le code n'ont pas changé)")
        else:
            say("Déploiement de prefect.yaml…")
            deploy(env, where.log("deploy"))
            state["deployed"] = digest
            write_state(where, state)
        worker = state.get("worker")
        if worker and ours(worker["pid"], "worker"):
            say(f"Worker déjà démarré (pid {worker['pid']})")
        else:
            since = time.time()
            pid = spawn([str(BIN / "prefect"), "worker", "start", "--pool", pool,
                         "--name", WORKER_NAME, "--install-policy", "never"],
                        env, where.log("worker"))
            started.append(pid)
            state["worker"] = {"pid": pid, "log": str(where.log("worker"))}
            write_state(where, state)
            wait_for_worker(api_url, pool, pid, where.log("worker"), since)
        names = deployment_names(api_url)
    except (SetupError, subprocess.TimeoutExpired) as error:
        say(f"ÉCHEC : {error}")
        for pid in reversed(started):
            terminate(pid)
        if state["server"]["pid"] in started:
            where.pid_file.unlink(missing_ok=True)
        return 1
    say("")
    say(f"Interface Prefect : {state['url']}   (API : {api_url})")
    say(f"  serveur  pid {state['server']['pid']:>7}  journal {state['server']['log']}")
    say(f"           base : {state['database']}")
    say(f"  worker   pid {state['worker']['pid']:>7}  journal {state['worker']['log']}  "
        f"(file {pool})")
    say(f"  limites  {', '.join(f'{n} = {s}' for n, s in concurrency_limits().items())}")
    say(f"  {len(names)} déploiement(s) : {', '.join(names)}")
    say(f"  process ids : {where.pid_file}")
    say("Arrêter : make ui-stop")
    return 0


def stop(data_dir: Path | None = None, say: Callable[[str], None] = print) -> int:
    """Stop the worker then the server started by `start`, by their process ids."""
    where = place(data_dir)
    state = read_state(where)
    if state is None:
        say(f"Rien à arrêter : pas de {where.pid_file}.")
        return 0
    code = 0
    for role in ("worker", "server"):
        entry = state.get(role)
        if not entry:
            continue
        pid = entry["pid"]
        if not ours(pid, role) and not any("prefect" in _command_line(member)
                                           for member in group_members(pid)):
            say(f"{role} (pid {pid}) : déjà arrêté")
            continue
        outcome = terminate(pid)
        say(f"{role} (pid {pid}) : {outcome}")
        code = code or (1 if outcome == "TOUJOURS LÀ" else 0)
    where.pid_file.unlink(missing_ok=True)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.operator_setup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    start_command = commands.add_parser("start", help="start the server, the worker, deploy")
    start_command.add_argument("--host", default=DEFAULT_HOST)
    start_command.add_argument("--port", type=int, default=DEFAULT_PORT)
    commands.add_parser("stop", help="stop what `start` started, by process id")
    args = parser.parse_args(argv)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # started from a script's background job: give the children a SIGINT that works
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.command == "start":
        return start(args.host, args.port)
    return stop()


if __name__ == "__main__":
    raise SystemExit(main())
