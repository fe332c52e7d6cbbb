"""Generate the legal documents due (on demand; the nightly flow runs it too)."""

from __future__ import annotations

from datetime import date

from prefect import flow

from adapters.documents import DocumentsReport
from tasks import context
from tasks.documents import generate_documents_for
from tasks.mail import deliver_pending_emails
from tasks.summary import RunSummary, add_documents, publish_summary


@flow(name="generate-documents", log_prints=True)
def generate_documents(as_of: date | None = None,
                       session_refs: list[str] | None = None) -> DocumentsReport:
    """Produce and send the documents due: all sessions, or only those given.

    Args:
        as_of: Date métier (par défaut : la date du lancement, heure de Paris) ; c'est la date
            portée sur les documents.
        session_refs: Les sessions à traiter (ex. S-2026-0012) ; vide : toutes celles qui ont
            un document dû.
    """
    day = context.business_day(as_of)
    report = generate_documents_for(day, session_refs or None)
    mail = deliver_pending_emails()
    summary = RunSummary(f"Documents au {day.isoformat()}")
    add_documents(summary, report, context.settings().output_dir)
    summary.lines.append(f"E-mails envoyés : {mail.performed}, en échec : {mail.failed}")
    publish_summary("documents-summary", summary)
    return report
