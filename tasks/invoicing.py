"""Funder invoicing: issue what is due, send it, chase what is unpaid."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from prefect import task
from prefect.cache_policies import NO_CACHE

from adapters.reference_data import reference_data
from services.invoicing import (
    InvoicingReport,
    InvoicingTerms,
    bill_remainder_to_company,
    issue_credit_note,
    issue_due_invoices,
    record_deposit,
    remind_unpaid,
    send_pending_invoices,
)
from tasks import context
from tasks.outcome_text import log_outcomes


def invoicing_terms() -> InvoicingTerms:
    settings = context.settings()
    return InvoicingTerms(payment_days=settings.payment_days,
                          reminder_days=settings.invoice_reminder_days,
                          absences_apart=settings.absences_on_separate_invoice,
                          cancellation_fee_rate=settings.cancellation_fee_rate)


@task(cache_policy=NO_CACHE)
def issue_invoices_for(as_of: date) -> InvoicingReport:
    settings, marketplace = context.settings(), context.marketplace()
    engine, now, terms = context.engine(), context.now(), invoicing_terms()
    report = issue_due_invoices(engine, as_of=as_of, now=now, marketplace=marketplace,
                                reference=reference_data(), terms=terms)
    report.sent, report.deposits = send_pending_invoices(
        engine, output_dir=settings.output_dir, now=now, marketplace=marketplace,
        reference=reference_data(), workers=settings.render_workers)
    report.reminders = remind_unpaid(engine, as_of=as_of, now=now, marketplace=marketplace,
                                     reminder_days=terms.reminder_days,
                                     payment_days=terms.payment_days)
    log_outcomes([*report.issued, *report.reminders])
    return report


@task(cache_policy=NO_CACHE)
def issue_credit_note_for(number: str, reason: str, amount: Decimal | None, reissue: bool, day: date,
                          operator: str) -> list[str]:
    """An operator's credit note (and the invoice issued again, if asked): their numbers."""
    return issue_credit_note(context.engine(), number=number, reason=reason, amount=amount,
                             reissue=reissue, as_of=day, now=context.now(),
                             marketplace=context.marketplace(), reference=reference_data(),
                             terms=invoicing_terms(), operator=operator)


@task(cache_policy=NO_CACHE)
def bill_remainder_for(number: str, paid: Decimal, note: str, day: date, operator: str
                       ) -> list[str]:
    """What an OPCO did not pay credited and billed to the company: the numbers issued."""
    return bill_remainder_to_company(context.engine(), number=number, paid=paid, note=note,
                                     as_of=day, now=context.now(),
                                     marketplace=context.marketplace(),
                                     reference=reference_data(), terms=invoicing_terms(),
                                     operator=operator)


@task(cache_policy=NO_CACHE)
def record_deposit_of(number: str, deposited_on: date, note: str, operator: str) -> str:
    """An operator's deposit of an invoice on its funder's portal (audit-logged), in French."""
    return record_deposit(context.engine(), number=number, deposited_on=deposited_on, note=note,
                          operator=operator, now=context.now())
