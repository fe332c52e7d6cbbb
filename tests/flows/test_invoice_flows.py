"""Invoicing flows under a real Prefect engine: issue in the nightly run, then a credit note."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import Effect, Invoice
from flows.invoicing import bill_remainder, credit_note
from flows.nightly import nightly
from tests.export_samples import write_export
from tests.services.test_invoices import S001_DONE

pytestmark = pytest.mark.prefect


def test_invoices_are_issued_sent_and_corrected_by_credit_note(pipeline_env, engine):
    write_export(pipeline_env.export_inbox, **S001_DONE)
    nightly(as_of=date(2026, 11, 28))  # green light for S-001 before it starts
    nightly(as_of=date(2026, 12, 10))  # S-001 done: its invoices

    with unit_of_work(engine) as db:
        issued = {(i.session_ref, i.invoice_key): i.number for i in db.scalars(select(Invoice))}
    assert set(issued) == {("S-001", "opco"), ("S-001", "company"), ("S-002", "company")}

    numbers = credit_note(number=issued[("S-002", "company")], reason="remise commerciale",
                          amount=Decimal("100.00"), as_of=date(2026, 12, 11))
    more = bill_remainder(number=issued[("S-001", "opco")], paid=Decimal("0"),
                          note="refus de l'OPCO", as_of=date(2026, 12, 11))

    assert numbers == ["AV-2026-000001"] and more == ["AV-2026-000002", "FA-2026-000004"]
    with unit_of_work(engine) as db:
        stored = {i.number: i for i in db.scalars(select(Invoice))}
        states = {e.idempotency_key: e.state for e in db.scalars(select(Effect))}
    assert all(i.pdf_path for i in stored.values())
    assert stored[issued[("S-001", "opco")]].status == "cancelled"
    assert stored["FA-2026-000004"].total_ttc == stored[issued[("S-001", "opco")]].total_ttc
    assert states["email:credit_note:AV-2026-000001"] == "done"
    assert states["email:invoice:FA-2026-000004"] == "done"


def test_an_operator_records_from_the_ui_that_an_invoice_was_deposited(pipeline_env, engine):
    from adapters.models import InvoiceDeposit, ReviewItem
    from flows.invoicing import record_deposit

    write_export(pipeline_env.export_inbox, **S001_DONE)
    nightly(as_of=date(2026, 11, 28))  # S-001 is done on 8 December: not billed before
    summary = nightly(as_of=date(2026, 12, 10))  # the OPCO's to deposit: Atlas takes its portal's

    with unit_of_work(engine) as db:
        (deposit,) = db.scalars(select(InvoiceDeposit))
    assert any(item["clé"] == f"deposit:{deposit.number}" for item in summary.review)
    assert any("1 à déposer sur le portail" in line for line in summary.lines)

    message = record_deposit(number=deposit.number, deposited_on=date(2026, 12, 11),
                             note="référence portail 42")

    assert message == f"{deposit.number} : déposée le 11 décembre 2026, relances comptées de ce jour"
    with unit_of_work(engine) as db:
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == f"deposit:{deposit.number}"))
        assert item.status == "resolved"
        assert db.get(InvoiceDeposit, deposit.number).note == "référence portail 42"
