"""The nightly flow under a real Prefect engine, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import func, select

from adapters.database import unit_of_work
from adapters.models import Effect, Session
from adapters.outbox import record_effect
from flows.nightly import nightly
from tests.export_samples import SMALL_EXPORT, write_export

pytestmark = pytest.mark.prefect
AS_OF = date(2026, 11, 30)


def latest_markdown(key: str) -> str:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return max(artifacts, key=lambda a: a.created).data


def latest_table(key: str) -> list[dict]:
    import json

    data = latest_markdown(key)
    return json.loads(data) if isinstance(data, str) else data


def test_nightly_ingests_the_inbox_sends_the_outbox_and_reports(pipeline_env, engine):
    write_export(pipeline_env.export_inbox)
    with unit_of_work(engine) as db:
        record_effect(db, "email:test:hello", "email", {
            "to": ["rh@durand.example"], "subject": "Votre dossier de formation",
            "text": "Bonjour,\nvoici votre dossier.\n"}, datetime(2026, 11, 29, tzinfo=UTC))

    state = nightly(as_of=AS_OF, return_state=True)

    assert state.is_completed()
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Session)) == 2
        assert set(connection.scalars(select(Effect.state))) == {"done"}
    # the e-mail recorded before the run, the green light of S-001 (its PEC matches), the
    # documents of S-001 (S-002 has no schedule: no legal document can be made), and the
    # invoice of S-002 (completed, funded by the company)
    assert sorted(p.name.rsplit("-", 1)[0] for p in pipeline_env.outbox_dir.glob("*.eml")) == [
        "email-attendance-sheets-S-001-v1", "email-bundle-S-001-v1",
        "email-bundle-notice-S-001-v1", "email-convocation-S-001-T-1-v1",
        "email-convocation-S-001-T-2-v1", "email-green-light-S-001",
        "email-invoice-FA-2026-000001", "email-test-hello"]
    markdown = latest_markdown("nightly-summary")
    assert "Traitement de nuit du 30 novembre 2026" in markdown
    assert "PEC : 1 feu(x) vert(s), 0 PEC à revoir" in markdown
    assert "Documents : 2 jeu(x) produit(s)" in markdown
    assert "S-002 : documents légaux impossibles" in markdown  # from the review queue
    assert "Factures : 1 émise(s), 0 en attente de l'identité du payeur, 1 envoyée(s) par " \
           "e-mail, 0 à déposer" in markdown
    assert "E-mails envoyés : 8" in markdown  # a convocation to each of the 2 trainees
    # the invoice of S-002, issued today, is due in 30 days: owed, not late, nothing to chase
    assert "Créances au 30 novembre 2026 : " in markdown and ", dont 0,00\u00a0€ échus" in markdown
    assert "Relancer" not in markdown
    [receivable] = latest_table("nightly-summary-receivables")
    assert (receivable["type"], receivable["échu"], receivable["retard max (j)"]) == (
        "entreprise", "0.00", 0)


def test_a_second_nightly_run_changes_nothing_and_sends_nothing(pipeline_env, engine):
    write_export(pipeline_env.export_inbox)
    nightly(as_of=AS_OF)
    with engine.connect() as connection:
        effects_before = connection.scalar(select(func.count()).select_from(Effect))

    summary = nightly(as_of=AS_OF)

    assert "0 ligne(s) créée(s) ou modifiée(s)" in summary.to_markdown()
    assert "E-mails envoyés : 0" in summary.to_markdown()
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Effect)) == effects_before


def test_a_rejected_file_is_listed_for_the_operator(pipeline_env, engine):
    bad = SMALL_EXPORT["clients.csv"].replace("73282932000074", "73282932000075")
    write_export(pipeline_env.export_inbox, clients_csv=bad)

    summary = nightly(as_of=AS_OF)

    [incident] = summary.incidents  # the files depending on clients.csv rejected with it
    assert incident.title == "Fichiers clients.csv, sessions.csv, slots.csv, trainees.csv, " \
                             "attendance.csv, completions.csv, trainer_invoices.csv rejetés en entier"
    assert "clients.csv, ligne 3, colonne « siret »" in incident.detail
    assert "**Fichiers clients.csv, sessions.csv" in latest_markdown("nightly-summary")


def test_the_business_date_is_as_of_or_the_scheduled_start_in_paris():
    from tasks.context import resolve_business_date

    assert resolve_business_date(date(2026, 10, 1), datetime(2026, 11, 27, 3, 30, tzinfo=UTC)) \
        == date(2026, 10, 1)
    # the 00:30 Paris run of 28 November is scheduled at 23:30 UTC on the 27th
    assert resolve_business_date(None, datetime(2026, 11, 27, 23, 30, tzinfo=UTC)) \
        == date(2026, 11, 28)
