"""Which Prefect the command line's flows talk to, decided before Prefect is imported (Prefect
reads its settings once, at import), and the state `make ui` keeps about the server it started.

Without an API address Prefect starts a temporary server in the command's own process (4 to
8 s on 2 cores, 12 to 15 s on a new Prefect home; prefect-notes §2) and stops it at the end.
A flow command (ops/cli.py) avoids it when it can:

1. an API address already configured (`PREFECT_API_URL` in the environment or in the active
   Prefect profile) is Prefect's to use: nothing is changed;
2. otherwise the server `make ui` started (ops/operator_setup.py), when its process id in
   `<data dir>/prefect/pids.json` is still that server and `/api/health` answers within a
   second: `PREFECT_API_URL` is set to it, the runs are in the operators' UI;
3. otherwise Prefect's temporary server, as before.

This module imports neither Prefect nor anything that does.
"""

from __future__ import annotations

import json
import os
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.settings import SettingsError, get_settings

HEALTH_TIMEOUT = 1.0  # seconds: a loopback server that does not answer in 1 s is not used


@dataclass(frozen=True, slots=True)
class Place:
    """Where `make ui` keeps its state: `<data dir>/prefect`."""

    base: Path

    @property
    def home(self) -> Path:  # PREFECT_HOME of the server and the worker
        return self.base / "home"

    @property
    def pid_file(self) -> Path:
        return self.base / "pids.json"

    def log(self, name: str) -> Path:
        return self.base / f"{name}.log"


def place(data_dir: Path | None = None) -> Place:
    return Place((data_dir or get_settings().data_dir) / "prefect")


def read_state(where: Place) -> dict[str, Any] | None:
    try:
        state = json.loads(where.pid_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return state if isinstance(state, dict) else None


# ------------------------------------------------------------------ processes (by id, Linux /proc)


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat fields after the command name: [state, ppid, pgrp, ...]."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return text[text.rindex(")") + 2:].split()


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan nobody reaped yet is gone for us)."""
    if Path("/proc/self/stat").exists():
        fields = _stat(pid)
        return fields is not None and fields[0] not in ("Z", "X")
    try:  # no /proc: ask the kernel
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def group_members(pgid: int) -> list[int]:
    """The live processes of process group `pgid` (the leader and what it started)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                members.append(int(entry.name))
    return members


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def ours(pid: int, role: str) -> bool:
    """The process `pid` is still the `prefect server`/`prefect worker` we started (not a
    process that got the same id later): it leads its own process group and says so."""
    fields = _stat(pid)
    return (alive(pid) and fields is not None and fields[2] == str(pid)
            and "prefect" in command_line(pid) and f" {role} start" in command_line(pid))


# ------------------------------------------------------------------ the API the flows use


def healthy(api_url: str, timeout: float = HEALTH_TIMEOUT) -> bool:
    """`<api>/health` answers 200 within `timeout` (per connect and read; no proxy: the
    server is local)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{api_url}/health", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def configured_api_url(environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    """The API address Prefect would use anyway: the environment's, else the active profile's."""
    if environ.get("PREFECT_API_URL"):
        return environ["PREFECT_API_URL"]
    home = Path(environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    profiles = Path(environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        config = tomllib.loads(profiles.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    active = environ.get("PREFECT_PROFILE") or config.get("active") or "ephemeral"
    profile = config.get("profiles", {}).get(active, {})
    return str(profile.get("PREFECT_API_URL") or "") if isinstance(profile, dict) else ""


def running_server(data_dir: Path | None = None) -> tuple[str, str]:
    """The API address of the server `make ui` started, when it runs and answers, else "";
    and, when it runs but does not answer, why it is not used."""
    try:
        state = read_state(place(data_dir)) or {}
    except SettingsError:  # the flow's run says it, as without `make ui`
        return "", ""
    try:
        pid, api_url = int(state["server"]["pid"]), str(state["api_url"])
    except (TypeError, KeyError, ValueError):  # no file, or not one `make ui` wrote
        return "", ""
    if not ours(pid, "server"):
        return "", ""
    if not healthy(api_url):
        return "", (f"le serveur Prefect de make ui (pid {pid}, {api_url}) ne répond pas : "
                    f"serveur temporaire")
    return api_url, ""


def choose_api(environ: os._Environ[str] | dict[str, str] = os.environ,
               data_dir: Path | None = None) -> tuple[str, str]:
    """Decide the Prefect of a flow command, and set `PREFECT_API_URL` in `environ` when it is
    `make ui`'s server. Returns (which: "configured", "make ui" or "temporary", a note for
    the operator or "")."""
    if configured_api_url(environ):
        return "configured", ""
    api_url, note = running_server(data_dir)
    if api_url:
        environ["PREFECT_API_URL"] = api_url
        return "make ui", ""
    return "temporary", note
