"""Funder invoicing on demand, and the operators' corrections (credit notes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from prefect import get_run_logger
from pydantic import Field

from flows.parameters import BusinessDate, titled
from services.invoicing import InvoicingReport
from tasks import context
from tasks.alerts import operator_flow
from tasks.concurrency import money_moving
from tasks.invoicing import (
    bill_remainder_for,
    issue_credit_note_for,
    issue_invoices_for,
    record_deposit_of,
)
from tasks.mail import deliver_pending_emails
from tasks.summary import RunSummary, add_invoicing, add_mail, finish_run


@operator_flow("issue-invoices")
def issue_invoices(as_of: BusinessDate | None = titled("Date d'émission (vide : aujourd'hui)",
                                                        None)) -> InvoicingReport:
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
    add_mail(summary, mail)
    return finish_run("invoices-summary", summary, day, result=report)


@operator_flow("credit-note")
def credit_note(number: str = titled("Facture à annuler"),
                reason: Annotated[str, Field(min_length=3)] = titled("Motif"),
                amount: Decimal | None = titled("Montant TTC à annuler (vide : tout)", None),
                reissue: bool = titled("Émettre à nouveau la facture", False),
                as_of: BusinessDate | None = titled("Date d'émission (vide : aujourd'hui)", None)
                ) -> list[str]:
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
        numbers = issue_credit_note_for(number, reason, amount, reissue, day,
                          context.operator())
    get_run_logger().info("émis : %s", ", ".join(numbers))
    issue_invoices(as_of=day)  # render and send what was issued (takes the slot in its turn)
    return numbers


@operator_flow("bill-remainder-to-company")
def bill_remainder(number: str = titled("Facture à l'OPCO"),
                   paid: Decimal = titled("Montant payé par l'OPCO"),
                   note: Annotated[str, Field(min_length=3)] = titled("Motif"),
                   as_of: BusinessDate | None = titled("Date d'émission (vide : aujourd'hui)",
                                                       None)) -> list[str]:
    """The OPCO refused or paid less than its invoice: credit the rest and bill it to the company.

    Args:
        number: La facture à l'OPCO (ex. FA-2026-000012).
        paid: Ce que l'OPCO a payé ou paiera (0 s'il refuse).
        note: Pourquoi (refus, plafond atteint…) ; imprimé et gardé dans le journal d'audit.
        as_of: Date d'émission (par défaut : aujourd'hui, heure de Paris).
    """
    day = context.business_day(as_of)
    with money_moving():
        numbers = bill_remainder_for(number, paid, note, day, context.operator())
    issue_invoices(as_of=day)  # takes the slot in its turn
    return numbers


@operator_flow("record-deposit")
def record_deposit(number: str = titled("Facture déposée"),
                   deposited_on: BusinessDate | None = titled("Date du dépôt (vide : aujourd'hui)",
                                                              None),
                   note: str = titled("Note (référence du dépôt sur le portail…)", "")) -> str:
    """An operator deposited an invoice's package on its funder's portal: record the day.

    Args:
        number: La facture déposée (ex. FA-2026-000012), listée dans la file de revue.
        deposited_on: Le jour du dépôt (par défaut : aujourd'hui, heure de Paris). Les relances
            comptent de ce jour.
        note: Facultatif : la référence donnée par le portail, gardée dans le journal d'audit.
    """
    message = record_deposit_of(number, context.business_day(deposited_on), note,
                                context.operator())
    get_run_logger().info(message)
    return message
