"""The nightly pipeline: each step of the business process, in order, for one business date."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import flow, get_run_logger, runtime

from backoffice.dates import business_date, format_date_fr
from tasks import context
from tasks.ingest import ingest_folder
from tasks.mail import deliver_pending_emails
from tasks.summary import RunSummary, add_ingest, publish_summary


def resolve_business_date(as_of: date | None, scheduled_start: datetime | None) -> date:
    """`as_of` when given (backfills); otherwise the run's scheduled start, or now, in Paris."""
    if as_of is not None:
        return as_of
    return business_date(scheduled_start or datetime.now(UTC))


@flow(name="nightly", log_prints=True)
def nightly(as_of: date | None = None) -> RunSummary:
    """Ingest the platform export, then the later steps, then publish the run's summary."""
    scheduled = runtime.flow_run.scheduled_start_time
    day = resolve_business_date(as_of, scheduled if isinstance(scheduled, datetime) else None)
    get_run_logger().info("date métier : %s", day.isoformat())
    summary = RunSummary(f"Traitement de nuit du {format_date_fr(day)}")

    inbox = context.settings().export_inbox
    if inbox.is_dir():
        add_ingest(summary, ingest_folder(inbox))
    else:
        summary.lines.append(f"Pas d'export plateforme dans `{inbox}` : rien à ingérer")

    # Later steps join here, in process order: PEC reconciliation, documents, invoices,
    # bank statements and matching, trainer payouts.

    mail = deliver_pending_emails()
    summary.lines.append(f"E-mails envoyés : {mail.performed}, en échec : {mail.failed}")
    summary.needs_human += [f"E-mail en échec : {error}" for error in mail.errors]

    publish_summary("nightly-summary", summary)
    return summary
