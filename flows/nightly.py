"""The nightly pipeline: each step of the business process, in order, for one business date."""

from __future__ import annotations

from prefect import get_run_logger

from backoffice.dates import format_date_fr
from flows.parameters import BusinessDate, titled
from tasks import context
from tasks.alerts import operator_flow
from tasks.concurrency import money_moving
from tasks.documents import generate_documents_for
from tasks.funding import reconcile_pecs_for
from tasks.ingest import ingest_folder
from tasks.invoicing import issue_invoices_for
from tasks.mail import deliver_pending_emails
from tasks.payments import (
    bank_inbox_files,
    bank_inbox_subfolders,
    import_statements_from,
    match_bank_credits,
)
from tasks.payouts import schedule_and_export_payouts, track_payout_executions
from tasks.reports import age_receivables_for
from tasks.summary import (
    RunSummary,
    add_documents,
    add_funding,
    add_ingest,
    add_invoicing,
    add_mail,
    add_payments,
    add_payouts,
    add_receivables,
    add_refused_files,
    finish_run,
)

# A failed night is run once more after this pause: every step is idempotent, and most failures
# of an unattended run are passing ones (the database restarting, the SMTP server away).
RETRY_PAUSE_SECONDS = 300


@operator_flow("nightly", retries=1, retry_delay_seconds=RETRY_PAUSE_SECONDS)
def nightly(as_of: BusinessDate | None = titled("Date métier (vide : aujourd'hui)", None)
            ) -> RunSummary:
    """Ingest the platform export, then the later steps, then publish the run's summary.

    The run ends « Incomplet » when something could not be done (a file rejected, an e-mail in
    failure, an invoice held): the operators are told by e-mail, once per event.

    Args:
        as_of: Date métier à traiter (par défaut : la date du lancement prévu, heure de Paris).
            La renseigner pour un rattrapage : le résultat est celui qu'aurait donné le
            traitement de nuit de ce jour-là.
    """
    day = context.business_day(as_of)
    get_run_logger().info("date métier : %s", day.isoformat())
    summary = RunSummary(f"Traitement de nuit du {format_date_fr(day)}")

    inbox, output_dir = context.settings().export_inbox, context.settings().output_dir
    if inbox.is_dir():
        add_ingest(summary, ingest_folder(inbox))
    else:
        summary.lines.append(f"Pas d'export plateforme dans `{inbox}` : rien à ingérer")

    add_funding(summary, reconcile_pecs_for(day))
    add_documents(summary, generate_documents_for(day), output_dir)
    with money_moving():  # invoices, payments and payouts: one money-moving run at a time
        add_invoicing(summary, issue_invoices_for(day), output_dir)
        statements = bank_inbox_files()
        add_refused_files(summary, statements.refused)
        imported = import_statements_from(list(statements.files), move_files=True)
        for sub in bank_inbox_subfolders():  # a subfolder per account, per saved mapping
            add_refused_files(summary, sub.listing.refused)
            imported += import_statements_from(list(sub.listing.files), move_files=True,
                                               account=sub.account, mapping=sub.mapping)
        add_payments(summary, imported, match_bank_credits())
        add_payouts(summary, schedule_and_export_payouts(day, track_payout_executions()),
                    output_dir)

    add_receivables(summary, age_receivables_for(day))
    add_mail(summary, deliver_pending_emails())
    return finish_run("nightly-summary", summary, day, result=summary)
