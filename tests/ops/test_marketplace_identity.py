"""Outside the demo and the tests, nothing carries the demo's fictitious marketplace: its SIRET,
NDA, Qualiopi number, IBAN, VAT number and e-mail addresses are another company's or nobody's.
Every task that prints or sends the identity refuses before it decides anything, naming the
variables to set; the outbox keeps its e-mails pending for when they are set."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import Effect
from adapters.outbox import record_effect
from adapters.settings import (
    IdentityIncomplete,
    get_settings,
    identity_placeholders,
    marketplace_identity,
    settings_from_env,
)
from ops.cli import main

SWITCH = "BACKOFFICE_ALLOW_RESERVED_EMAIL_DOMAINS"
FICTITIOUS = ("MARKETPLACE_SIRET", "MARKETPLACE_NDA", "MARKETPLACE_QUALIOPI_NUMBER",
              "MARKETPLACE_IBAN", "MARKETPLACE_VAT_NUMBER", "MARKETPLACE_EMAIL",
              "MARKETPLACE_HANDICAP_REFERENT")
REAL = {
    "MARKETPLACE_SIRET": "81234567600017", "MARKETPLACE_NDA": "11756666675",
    "MARKETPLACE_QUALIOPI_NUMBER": "FR059871-1", "MARKETPLACE_IBAN": "FR7630004000001234567890188",
    "MARKETPLACE_VAT_NUMBER": "FR19812345676", "MARKETPLACE_EMAIL": "backoffice@ganapati-formation.fr",
    "MARKETPLACE_HANDICAP_REFERENT": "Claire Morel, handicap@ganapati-formation.fr, 01 23 45 67 89",
}
DAY = date(2026, 11, 30)


@pytest.fixture
def production(data_dirs, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The settings of a production install that kept the demo's identity (reserved domains
    refused), read again after the test changes them."""
    monkeypatch.setenv(SWITCH, "no")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_the_demo_identity_is_found_variable_by_variable():
    assert identity_placeholders(settings_from_env({}).marketplace) == FICTITIOUS
    assert identity_placeholders(settings_from_env(REAL).marketplace) == ()
    # the city, the phone, the name may well be a real marketplace's: never counted
    assert settings_from_env(REAL).marketplace.city == "Paris"


@pytest.mark.parametrize(("variable", "value"), [
    ("MARKETPLACE_EMAIL", "backoffice@ganapati.example"),
    ("MARKETPLACE_EMAIL", "contact@example.org"),
    ("MARKETPLACE_HANDICAP_REFERENT", "Claire Morel (handicap@ganapati.test), 01 23 45 67 89"),
    ("MARKETPLACE_IBAN", "FR7630006000011234567890189"),
])
def test_one_placeholder_left_is_named(variable: str, value: str):
    assert identity_placeholders(settings_from_env(REAL | {variable: value}).marketplace) == (
        variable,)


def test_only_the_demo_and_the_tests_may_use_it():
    production = settings_from_env({SWITCH: "no"})
    with pytest.raises(IdentityIncomplete) as refused:
        marketplace_identity(production)
    assert refused.value.variables == FICTITIOUS
    assert str(refused.value).startswith(
        "Identité de la marketplace à renseigner : MARKETPLACE_SIRET, MARKETPLACE_NDA, ")
    assert "gardent la valeur fictive de la démonstration" in str(refused.value)
    assert "aucun document, facture, e-mail, virement ni FEC n'est produit" in str(refused.value)

    assert marketplace_identity(settings_from_env({SWITCH: "yes"})).siret == "73282932000074"
    assert marketplace_identity(settings_from_env(REAL | {SWITCH: "no"})).siret == REAL[
        "MARKETPLACE_SIRET"]


def _tasks() -> list[tuple[str, object]]:
    import tasks.accounting
    import tasks.documents
    import tasks.funding
    import tasks.invoicing
    import tasks.payouts
    from services.payouts import PayoutReport

    return [
        ("documents", lambda: tasks.documents.generate_documents_for.fn(DAY)),
        ("funding", lambda: tasks.funding.reconcile_pecs_for.fn(DAY)),
        ("invoices", lambda: tasks.invoicing.issue_invoices_for.fn(DAY)),
        ("credit note", lambda: tasks.invoicing.issue_credit_note_for.fn(
            "FA-2026-000001", "erreur", None, False, DAY, "op")),
        ("payouts", lambda: tasks.payouts.schedule_and_export_payouts.fn(DAY, PayoutReport())),
        ("payout tracking", lambda: tasks.payouts.track_payout_executions.fn()),
        ("FEC", lambda: tasks.accounting.write_fec_of.fn(2026, DAY)),
    ]


@pytest.mark.parametrize("label", [label for label, _ in _tasks()])
def test_every_task_that_carries_the_identity_refuses_it(production, label: str):
    [run] = [run for name, run in _tasks() if name == label]
    with pytest.raises(IdentityIncomplete):
        run()  # type: ignore[operator]


def test_emails_wait_pending_until_the_identity_is_set(production, data_dirs):
    from tasks import context
    from tasks.mail import deliver

    now = datetime(2026, 11, 30, 5, tzinfo=UTC)
    with unit_of_work(context.engine()) as db:
        record_effect(db, "email:invoice:FA-2026-000012", "email",
                      {"to": ["compta@boulangeries-durand.fr"], "subject": "Facture",
                       "text": "Bonjour,\n"}, now)
    with pytest.raises(IdentityIncomplete):
        deliver("")
    with unit_of_work(context.engine()) as db:
        assert [(e.state, e.attempts) for e in db.scalars(select(Effect))] == [("pending", 0)]
    assert not (data_dirs / "outbox").exists()

    for variable, value in REAL.items():
        production.setenv(variable, value)
    get_settings.cache_clear()
    assert deliver("").performed == 1
    [eml] = (data_dirs / "outbox").glob("*.eml")
    assert "From: Ganapati Formation SAS <backoffice@ganapati-formation.fr>" in eml.read_text()


def test_the_fec_command_says_what_to_set(production, data_dirs, capsys):
    assert main(["fec", "--year", "2026"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("ERREUR Identité de la marketplace à renseigner : MARKETPLACE_SIRET")
    assert not (data_dirs / "output" / "fec").exists()
