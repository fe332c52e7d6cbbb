"""Legal documents: plan what is due, render and store it, record the e-mails."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from services.documents import DocumentsReport, plan_due_documents, produce_documents
from tasks import context
from tasks.outcome_text import log_outcomes


@task(cache_policy=NO_CACHE)
def generate_documents_for(as_of: date, session_refs: list[str] | None = None
                           ) -> DocumentsReport:
    """Every document set due on as_of (all sessions, or the given ones), in one batch."""
    settings = context.settings()
    engine, now = context.engine(), context.now()
    planned, blocked = plan_due_documents(engine, as_of=as_of, now=now,
                                          marketplace=settings.marketplace,
                                          session_refs=session_refs)
    report = produce_documents(engine, planned, output_dir=settings.output_dir, as_of=as_of,
                               now=now, marketplace=settings.marketplace,
                               workers=settings.render_workers)
    report.blocked = blocked
    log_outcomes([*report.produced, *blocked])
    return report
