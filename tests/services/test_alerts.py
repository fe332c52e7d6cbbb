"""Alert e-mails to the operators: one per event, masked, read as the operator reads them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import Effect
from adapters.settings import Marketplace
from backoffice.incidents import email_failed, file_rejected
from services.alerts import alert_email, record_alerts

NOW = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
REJECTED = file_rejected("statement", "releve.csv",
                         ["releve.csv, ligne 4, colonne « Montant » : montant illisible "
                          "(valeur : « 1.234,5x ») ; virement de jeanne.dupont@acme.fr"],
                         "le redéposer corrigé")


def test_the_alert_reads_whole_and_masks_personal_data():
    email = alert_email(REJECTED, to="exploitation@ganapati.example", run_name="nightly-1",
                        run_url="http://127.0.0.1:4200/runs/flow-run/1",
                        marketplace=Marketplace())

    assert email.subject == "[Back-office] Fichier releve.csv rejeté en entier"
    assert email.text == (
        "Bonjour,\n\n"
        "Le run « nightly-1 » n'a pas pu tout faire.\n\n"
        "Fichier releve.csv rejeté en entier\n"
        "rien n'en a été appliqué (1 erreur(s)) :\n"
        "  - releve.csv, ligne 4, colonne « Montant » : montant illisible (valeur : « 1.234,5x »)"
        " ; virement de j***@acme.fr\n\n"
        "Que faire : le redéposer corrigé\n\n"
        "Le run dans l'interface Prefect : http://127.0.0.1:4200/runs/flow-run/1\n\n"
        "Ce message est envoyé une seule fois pour cet événement.\n\n"
        "Bien cordialement,\n\n"
        "L'équipe Ganapati Formation SAS\n"
        "backoffice@ganapati.example — 01 23 45 67 89\n"
        "Organisme de formation, déclaration d'activité n° 11755555575 (Île-de-France)\n")


def test_each_event_is_recorded_once(engine):
    failed = email_failed("email:invoice:FA-2026-000001", "SMTPServerDisconnected: x")
    record = dict(to="exploitation@ganapati.example", run_name="nightly-1", run_url="",
                  marketplace=Marketplace(), now=NOW)
    with unit_of_work(engine) as db:
        first = record_alerts(db, [REJECTED, failed], **record)
    with unit_of_work(engine) as db:
        again = record_alerts(db, [REJECTED, failed], **record)  # the same day, run again
        keys = sorted(db.scalars(select(Effect.idempotency_key)))

    assert len(first) == 2 and again == []
    assert keys == sorted(first)
    assert keys[0].startswith("email:operator-alert:email-failed:email:invoice:FA-2026-000001")


def test_an_email_refused_for_good_asks_for_a_person_not_for_patience():
    retried = email_failed("email:invoice:FA-2026-000001", "SMTPServerDisconnected: x")
    refused = email_failed("email:invoice:FA-2026-000001", "domaine réservé", final=True)
    assert "retenté" in retried.action and "retenté" not in refused.action
    assert refused.action.startswith("envoi abandonné : corriger l'adresse à sa source")
    assert refused.key == retried.key  # the same event: the operators are told once
