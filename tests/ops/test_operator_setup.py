"""`make ui` for real: the set-up command starts a Prefect server on a free loopback port, the
work pool, the concurrency limit, the deployments and a worker; deployments run through the
worker with parameters; their artifacts and logs are read back through the API (masked); the
stop command stops everything by process id."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    DeploymentFilter,
    DeploymentFilterName,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.deployments import run_deployment
from prefect.logging.handlers import APILogHandler
from prefect.settings import PREFECT_API_URL, temporary_settings

from ops.operator_setup import alive, group_members
from tasks.context import MONEY_MOVING_LIMIT
from tests.export_samples import SMALL_EXPORT, write_export

pytestmark = [pytest.mark.prefect, pytest.mark.server]
ROOT = Path(__file__).resolve().parents[2]
BAD_IBAN = "FR7630006000011234567890188"  # the sample trainer's IBAN, last digit changed
MASKED = "FR76 **** **** **** **** ***0 188"
DAY = "2026-11-30"


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def setup_command(command: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ops.operator_setup", command, *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def run_logs(client, run_id) -> list:
    return client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))


def failures(client, final: dict) -> dict[str, list[str]]:
    """What a failed run said (state message, error logs): the assertion's message in CI."""
    return {str(run.id): [run.state.message or "",
                          *(log.message for log in run_logs(client, run.id) if log.level >= 40)]
            for run in final.values() if not run.state.is_completed()}


def logs_and_artifacts(client, run_id) -> tuple[list, dict[str, str]]:
    logs = run_logs(client, run_id)
    artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
        flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
    return logs, {a.key: str(a.data) for a in artifacts}


def test_make_ui_starts_deploys_runs_and_stops_by_process_id(tmp_path):
    began = time.monotonic()
    data = tmp_path / "data"
    env = {name: value for name, value in os.environ.items()
           if name not in ("PREFECT_API_URL", "DATABASE_URL")}
    env["BACKOFFICE_DATA_DIR"] = str(data)
    env["PREFECT_WORKER_QUERY_SECONDS"] = "2"  # the worker polls every 10 s by default
    port = free_loopback_port()
    api_url = f"http://127.0.0.1:{port}/api"
    pid_file = data / "prefect" / "pids.json"
    pids: list[int] = []
    try:
        started = setup_command("start", env, "--port", str(port))
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"Interface Prefect : http://127.0.0.1:{port}" in started.stdout
        assert "Arrêter : make ui-stop" in started.stdout
        state = json.loads(pid_file.read_text(encoding="utf-8"))
        pids = [state["server"]["pid"], state["worker"]["pid"]]
        assert all(alive(pid) for pid in pids)
        assert Path(state["home"]) == data / "prefect" / "home"
        assert (data / "prefect" / "home" / "prefect.db").is_file()  # SQLite: no URL was set

        deploy_log = (data / "prefect" / "deploy.log").read_bytes()
        again = setup_command("start", env, "--port", str(port))  # starts nothing new
        assert again.returncode == 0, again.stdout + again.stderr
        assert "Serveur Prefect déjà démarré" in again.stdout and "Worker déjà démarré" in again.stdout
        assert "Déploiements à jour" in again.stdout  # same checkout, same code: not deployed again
        assert (data / "prefect" / "deploy.log").read_bytes() == deploy_log
        assert json.loads(pid_file.read_text(encoding="utf-8")) == state

        folder = write_export(tmp_path / "export", trainers_csv=SMALL_EXPORT["trainers.csv"]
                              .replace("FR7630006000011234567890189", BAD_IBAN))
        with temporary_settings(updates={PREFECT_API_URL: api_url}), \
                get_client(sync_client=True) as client:
            limit = client.read_global_concurrency_limit_by_name(MONEY_MOVING_LIMIT)
            assert (limit.limit, limit.active) == (1, True)
            assert client.read_work_pool("backoffice-process").type == "process"
            config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
            expected = {d["name"] for d in config["deployments"]}
            deployed = {d.name for d in client.read_deployments(deployment_filter=DeploymentFilter(
                name=DeploymentFilterName(any_=sorted(expected))))}
            assert deployed == expected

            # through the worker, with parameters: an export with a wrong IBAN (rejected file),
            # money-moving invoicing (takes the limit's slot), a one-day backfill
            ingest = run_deployment("ingest-platform-export/ingest", timeout=0,
                                    parameters={"folder": str(folder)}, as_subflow=False)
            invoices = run_deployment("issue-invoices/issue-invoices", timeout=0,
                                      parameters={"as_of": DAY}, as_subflow=False)
            backfill = run_deployment("backfill/backfill", timeout=0, as_subflow=False,
                                      parameters={"period": {"start": DAY, "end": DAY}})
            # the form can only check each date; the period is refused as the run starts
            inverted = run_deployment("backfill/backfill", timeout=0, as_subflow=False,
                                      parameters={"period": {"start": DAY, "end": "2026-11-01"}})
            final = {}
            deadline = time.monotonic() + 150
            while len(final) < 4 and time.monotonic() < deadline:
                for run in (ingest, invoices, backfill, inverted):
                    current = client.read_flow_run(run.id)
                    if current.state and current.state.is_final():
                        final[run.id] = current
                time.sleep(1)
            outcomes = {label: final[run.id].state.type.value if run.id in final else "RUNNING"
                        for label, run in (("ingest", ingest), ("issue-invoices", invoices),
                                           ("backfill", backfill))}
            assert set(outcomes.values()) == {"COMPLETED"}, (outcomes, failures(client, final))
            refused = final[inverted.id].state
            assert refused.is_failed() and "la fin (1er novembre 2026) précède le début" \
                in refused.message, refused.message
            assert final[ingest.id].state.name == "Incomplet"  # in the run list
            APILogHandler().flush()

            logs, artifacts = logs_and_artifacts(client, ingest.id)
            assert {"ingest-summary", "ingest-summary-files"} <= set(artifacts)
            assert "**Fichiers trainers.csv, sessions.csv" in artifacts["ingest-summary"]
            assert "rejetés en entier" in artifacts["ingest-summary"]
            [alert] = (data / "outbox").glob("email-operator-alert-export-rejected-*.eml")
            assert BAD_IBAN not in alert.read_text(encoding="utf-8")
            assert MASKED in artifacts["ingest-summary"]
            iban_lines = [log.message for log in logs if "colonne « iban »" in log.message]
            assert iban_lines and all(MASKED in line for line in iban_lines)
            assert all(BAD_IBAN not in text for text in [*artifacts.values(),
                                                         *(log.message for log in logs)])

            logs, artifacts = logs_and_artifacts(client, invoices.id)
            assert "invoices-summary" in artifacts
            form = client.read_deployment_by_name("backfill/backfill").parameter_openapi_schema
            assert form["properties"]["period"]["title"] == "Période à rejouer"
            assert not [log.message for log in logs if "do not exist" in log.message]

            nightly = client.read_deployment_by_name("nightly/nightly")
            replayed = [run for run in client.read_flow_runs()
                        if run.deployment_id == nightly.id
                        and run.idempotency_key == f"backfill-nightly-{DAY}"]
            assert [run.state.type.value for run in replayed] == ["COMPLETED"]
            assert replayed[0].parameters == {"as_of": DAY}
            # the same key again: Prefect gives back the run already made, nothing runs
            same = run_deployment("nightly/nightly", parameters={"as_of": DAY}, timeout=0,
                                  idempotency_key=f"backfill-nightly-{DAY}", as_subflow=False)
            assert same.id == replayed[0].id

            # the command line's flows run on this server (no temporary one of their own):
            # found by pids.json, the run is in the run list, the money-moving limit is there
            began_cli = time.monotonic()
            cli = subprocess.run([sys.executable, "-m", "ops.cli", "nightly", "--as-of", DAY],
                                 cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                                 check=False)
            cli_seconds = time.monotonic() - began_cli
            output = cli.stdout + cli.stderr
            assert cli.returncode == 0, output
            assert "temporary server" not in output and "do not exist" not in output, output
            [run_id] = re.findall(rf"View at http://127\.0\.0\.1:{port}/runs/flow-run/([0-9a-f-]+)",
                                  output)
            assert client.read_flow_run(run_id).state.is_completed()
    finally:
        stopped = setup_command("stop", env)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "worker (pid" in stopped.stdout and "server (pid" in stopped.stdout
    assert pids and not any(alive(pid) or group_members(pid) for pid in pids)
    assert not pid_file.exists()
    assert "Rien à arrêter" in setup_command("stop", env).stdout
    print(f"set-up, three runs and stop: {time.monotonic() - began:.1f} s; "
          f"`backoffice nightly` on that server: {cli_seconds:.1f} s")
