"""Legal documents: plan what is due, render and store it, record the e-mails."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from services.documents import DocumentsReport, generate_due_documents
from tasks import context
from tasks.outcome_text import log_outcomes


@task(cache_policy=NO_CACHE)
def generate_documents_for(as_of: date, session_refs: list[str] | None = None
                           ) -> DocumentsReport:
    """Every document set due on as_of (sessions changed since the last run, or the given
    ones), in one batch."""
    settings = context.settings()
    report = generate_due_documents(context.engine(), as_of=as_of, now=context.now(),
                                    marketplace=context.marketplace(),
                                    output_dir=settings.output_dir,
                                    workers=settings.render_workers, session_refs=session_refs)
    log_outcomes([*report.produced, *report.blocked])
    return report
