"""Every incomplete run reaches an operator: its final state says so in the run list, and one
e-mail per event reaches the operators' address through the project's mailer (a real SMTP server
on loopback); a re-run of the same day sends none; a refused request alerts nobody."""

from __future__ import annotations

from datetime import date

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.logging.handlers import APILogHandler

import flows.ingest
from adapters.settings import get_settings
from backoffice.incidents import INCOMPLETE, REFUSED
from flows.audit_pack import audit_pack
from flows.backfill import backfill
from flows.ingest import ingest_platform_export
from flows.nightly import nightly
from tests.export_samples import SMALL_EXPORT, write_export
from tests.smtp_server import running_smtp_server

pytestmark = pytest.mark.prefect
AS_OF = date(2026, 11, 30)
OPERATORS = "exploitation@ganapati.example"


@pytest.fixture
def smtp(pipeline_env, monkeypatch):
    """The pipeline's mail goes to a real SMTP server on loopback; the operators' address set."""
    with running_smtp_server() as server:
        for name, value in {"SMTP_HOST": server.host, "SMTP_PORT": str(server.port),
                            "SMTP_SECURITY": "none", "SMTP_RETRY_PAUSES": "0.01",
                            "BACKOFFICE_OPERATOR_EMAIL": OPERATORS}.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


def key(message) -> str:
    return message["X-Backoffice-Key"].strip()  # a long key is folded onto its own line


def alerts(server) -> list:
    return [m for m in server.messages if key(m).startswith("email:operator-alert:")]


def run_state(state):
    """The run as the UI's run list shows it (read back from the API)."""
    with get_client(sync_client=True) as client:
        return client.read_flow_run(state.state_details.flow_run_id).state


def test_a_rejected_file_ends_incomplete_and_is_told_once(smtp, engine):
    bad = SMALL_EXPORT["trainers.csv"].replace("jf.legall@formateurs.example",
                                               "jf.legall@@formateurs.example")
    write_export(get_settings().export_inbox, trainers_csv=bad)

    first = nightly(as_of=AS_OF, return_state=True)

    shown = run_state(first)
    assert shown.type.value == "COMPLETED" and shown.name == INCOMPLETE
    assert shown.message.startswith("1 point(s) à traiter : Fichiers trainers.csv, sessions.csv")
    [alert] = alerts(smtp)  # one event: the files depending on trainers.csv rejected with it
    assert alert["To"] == OPERATORS
    assert alert["Subject"].startswith("[Back-office] Fichiers trainers.csv, sessions.csv, ")
    assert alert["Subject"].endswith(" rejetés en entier")
    body = alert.get_body().get_content()
    assert "trainers.csv, ligne 3, colonne « email »" in body
    assert "jf.legall@@formateurs.example" not in body and "j***" in body  # masked

    again = nightly(as_of=AS_OF, return_state=True)

    assert run_state(again).name == INCOMPLETE  # still to fix, still shown
    assert len(alerts(smtp)) == 1  # the same event: nothing more sent


def test_a_run_without_incident_completes_plainly_and_alerts_nobody(smtp, engine):
    write_export(get_settings().export_inbox)

    state = nightly(as_of=AS_OF, return_state=True)

    assert run_state(state).name == "Completed"
    assert alerts(smtp) == []


def test_a_failed_run_is_told_once_through_the_outbox(smtp, engine, tmp_path, monkeypatch):
    # the task still tries three times, without its production pauses (2 s then 10 s)
    monkeypatch.setattr(flows.ingest, "ingest_folder",
                        flows.ingest.ingest_folder.with_options(retry_delay_seconds=0))
    state = ingest_platform_export(folder=tmp_path / "absent", return_state=True)

    assert state.is_failed()
    [alert] = alerts(smtp)
    run_id = state.state_details.flow_run_id
    assert key(alert) == f"email:operator-alert:run:{run_id}:1"
    assert "(ingest-platform-export) en état Failed" in alert["Subject"]
    assert "dossier d'export introuvable" in alert.get_body().get_content()


def test_a_run_failing_because_the_database_is_down_is_told_all_the_same(smtp, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/absent")
    get_settings.cache_clear()

    state = nightly.with_options(retries=0)(as_of=AS_OF, return_state=True)

    assert state.is_failed()
    [alert] = alerts(smtp)
    assert "(nightly) en état Failed" in alert["Subject"]


def test_refused_requests_end_in_french_without_traceback_and_alert_nobody(smtp, engine):
    unknown = audit_pack(session_ref="S-404", return_state=True)
    neither = audit_pack(return_state=True)
    inverted = backfill(period={"start": "2026-12-08", "end": "2026-12-05"}, return_state=True)

    assert (unknown.name, unknown.message) == (
        REFUSED, "Dossier d'audit impossible : session S-404 inconnue.")
    assert neither.name == REFUSED and "un seul des deux" in neither.message
    assert inverted.is_failed()
    assert "la fin (5 décembre 2026) précède le début (8 décembre 2026)" in inverted.message
    assert alerts(smtp) == []
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[
            s.state_details.flow_run_id for s in (unknown, neither, inverted)])))
    assert not [log.message for log in logs if "Traceback" in log.message]


def test_a_link_out_of_the_bank_inbox_is_never_read_and_is_told(smtp, engine, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("Date;Libellé;Montant\n01/12/2026;PAIE;1000,00\n", encoding="utf-8")
    inbox = get_settings().bank_inbox
    inbox.mkdir(parents=True)
    (inbox / "releve.csv").symlink_to(secret)

    state = nightly(as_of=AS_OF, return_state=True)

    assert run_state(state).name == INCOMPLETE
    [incident] = state.result().incidents
    assert incident.title == "Fichier releve.csv rejeté en entier"
    assert "hors du dossier" in incident.detail
    assert (inbox / "releve.csv").is_symlink() and secret.is_file()  # left as it was, unread
    assert len(alerts(smtp)) == 1
