"""The nightly pipeline: each step of the business process, in order, for one business date."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger

from backoffice.dates import format_date_fr
from tasks import context
from tasks.concurrency import money_moving
from tasks.documents import generate_documents_for
from tasks.funding import reconcile_pecs_for
from tasks.ingest import ingest_folder
from tasks.invoicing import issue_invoices_for
from tasks.mail import deliver_pending_emails
from tasks.payments import import_statements_from, match_bank_credits
from tasks.payouts import add_payouts, schedule_and_export_payouts, track_payout_executions
from tasks.review import review_queue
from tasks.summary import (
    RunSummary,
    add_documents,
    add_funding,
    add_ingest,
    add_invoicing,
    add_payments,
    publish_summary,
)


@flow(name="nightly", log_prints=True)
def nightly(as_of: date | None = None) -> RunSummary:
    """Ingest the platform export, then the later steps, then publish the run's summary.

    Args:
        as_of: Date métier à traiter (par défaut : la date du lancement prévu, heure de Paris).
            La renseigner pour un rattrapage : le résultat est celui qu'aurait donné le
            traitement de nuit de ce jour-là.
    """
    day = context.business_day(as_of)
    get_run_logger().info("date métier : %s", day.isoformat())
    summary = RunSummary(f"Traitement de nuit du {format_date_fr(day)}")

    inbox = context.settings().export_inbox
    if inbox.is_dir():
        add_ingest(summary, ingest_folder(inbox))
    else:
        summary.lines.append(f"Pas d'export plateforme dans `{inbox}` : rien à ingérer")

    add_funding(summary, reconcile_pecs_for(day))
    add_documents(summary, generate_documents_for(day), context.settings().output_dir)
    with money_moving():  # invoices, payments and payouts: one money-moving run at a time
        add_invoicing(summary, issue_invoices_for(day), context.settings().output_dir)
        bank_inbox = context.settings().bank_inbox
        statements = sorted(p for p in bank_inbox.glob("*") if p.is_file()) \
            if bank_inbox.is_dir() else []
        add_payments(summary, import_statements_from(statements, move_files=True),
                     match_bank_credits())
        add_payouts(summary, schedule_and_export_payouts(day, track_payout_executions()))

    mail = deliver_pending_emails()
    summary.lines.append(f"E-mails envoyés : {mail.performed}, en échec : {mail.failed}")
    summary.needs_human += [f"E-mail en échec : {error}" for error in mail.errors]

    summary.tables["review-queue"] = review_queue()
    publish_summary("nightly-summary", summary)
    return summary
