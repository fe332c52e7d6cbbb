"""Funder invoicing on demand, and the operators' corrections (credit notes)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from adapters.invoices import InvoicingReport, bill_remainder_to_company, issue_credit_note
from adapters.reference_data import reference_data
from tasks import context
from tasks.concurrency import money_moving
from tasks.invoicing import invoicing_terms, issue_invoices_for
from tasks.mail import deliver_pending_emails
from tasks.summary import RunSummary, add_invoicing, publish_summary


@flow(name="issue-invoices", log_prints=True)
def issue_invoices(as_of: date | None = None) -> InvoicingReport:
    """Issue the invoices due for completed (or cancelled) sessions, send them, chase unpaid ones.

    Args:
        as_of: Date d'émission (par défaut : la date du lancement, heure de Paris). Les numéros
            suivent l'ordre chronologique : une date antérieure à la dernière facture est refusée.
    """
    day = context.business_day(as_of)
    with money_moving():
        report = issue_invoices_for(day)
        mail = deliver_pending_emails()
    summary = RunSummary(f"Facturation au {day.isoformat()}")
    add_invoicing(summary, report, context.settings().output_dir)
    summary.lines.append(f"E-mails envoyés : {mail.performed}, en échec : {mail.failed}")
    publish_summary("invoices-summary", summary)
    return report


@task(cache_policy=NO_CACHE)
def _credit(number: str, reason: str, amount: Decimal | None, reissue: bool, day: date,
            operator: str) -> list[str]:
    settings = context.settings()
    return issue_credit_note(context.engine(), number=number, reason=reason, amount=amount,
                             reissue=reissue, as_of=day, now=context.now(),
                             marketplace=settings.marketplace, reference=reference_data(),
                             terms=invoicing_terms(), operator=operator)


@task(cache_policy=NO_CACHE)
def _remainder(number: str, paid: Decimal, note: str, day: date, operator: str) -> list[str]:
    settings = context.settings()
    return bill_remainder_to_company(context.engine(), number=number, paid=paid, note=note,
                                     as_of=day, now=context.now(),
                                     marketplace=settings.marketplace,
                                     reference=reference_data(), terms=invoicing_terms(),
                                     operator=operator)


@flow(name="credit-note", log_prints=True)
def credit_note(number: str, reason: Annotated[str, Field(min_length=3)],
                amount: Decimal | None = None, reissue: bool = False,
                as_of: date | None = None) -> list[str]:
    """Cancel an invoice by a credit note (whole, or an amount), and optionally issue it again.

    Args:
        number: La facture à annuler (ex. FA-2026-000012).
        reason: Le motif, imprimé sur l'avoir et gardé dans le journal d'audit.
        amount: Montant TTC à annuler ; vide : toute la facture.
        reissue: Émettre à nouveau la facture à partir des données actuelles de la session.
        as_of: Date d'émission de l'avoir (par défaut : aujourd'hui, heure de Paris).
    """
    day = context.business_day(as_of)
    with money_moving():
        numbers = _credit(number, reason, amount, reissue, day,
                          context.operator())
    get_run_logger().info("émis : %s", ", ".join(numbers))
    issue_invoices(as_of=day)  # render and send what was issued (takes the slot in its turn)
    return numbers


@flow(name="bill-remainder-to-company", log_prints=True)
def bill_remainder(number: str, paid: Decimal, note: Annotated[str, Field(min_length=3)],
                   as_of: date | None = None) -> list[str]:
    """The OPCO refused or paid less than its invoice: credit the rest and bill it to the company.

    Args:
        number: La facture à l'OPCO (ex. FA-2026-000012).
        paid: Ce que l'OPCO a payé ou paiera (0 s'il refuse).
        note: Pourquoi (refus, plafond atteint…) ; imprimé et gardé dans le journal d'audit.
        as_of: Date d'émission (par défaut : aujourd'hui, heure de Paris).
    """
    day = context.business_day(as_of)
    with money_moving():
        numbers = _remainder(number, paid, note, day, context.operator())
    issue_invoices(as_of=day)  # takes the slot in its turn
    return numbers
