"""Generate the legal documents due (on demand; the nightly flow runs it too)."""

from __future__ import annotations

from flows.parameters import BusinessDate, titled
from services.documents import DocumentsReport
from tasks import context
from tasks.alerts import operator_flow
from tasks.documents import generate_documents_for
from tasks.mail import deliver_pending_emails
from tasks.summary import RunSummary, add_documents, add_mail, finish_run


@operator_flow("generate-documents")
def generate_documents(
        as_of: BusinessDate | None = titled("Date métier (vide : aujourd'hui)", None),
        session_refs: tuple[str, ...] = titled("Sessions (vide : toutes)", ())
) -> DocumentsReport:
    """Produce and send the documents due: all sessions, or only those given.

    Args:
        as_of: Date métier (par défaut : la date du lancement, heure de Paris) ; c'est la date
            portée sur les documents.
        session_refs: Les sessions à traiter (ex. S-2026-0012) ; vide : toutes celles qui ont
            un document dû.
    """
    day = context.business_day(as_of)
    report = generate_documents_for(day, list(session_refs) or None)
    mail = deliver_pending_emails()
    summary = RunSummary(f"Documents au {day.isoformat()}")
    add_documents(summary, report, context.settings().output_dir)
    add_mail(summary, mail)
    return finish_run("documents-summary", summary, day, result=report)
