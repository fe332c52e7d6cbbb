"""The demo's ledger without Prefect and without documents: the demo export ingested, its
invoices issued, the demo bank statement imported and matched, the trainers of the paid
sessions scheduled, and the bank's camt.053 of their transfers tracked — the three nights of
`demo/run.py`, through the use cases directly (no PDF is rendered: the books do not read them)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from adapters.clock import night_of
from adapters.reference_data import reference_data
from adapters.settings import Marketplace
from demo.generator import DEMO_AS_OF, write_demo_export
from demo.run import PAYMENT_DAY, demo_invoices, write_demo_payout_statement
from demo.statements import write_demo_statement
from services.funding import reconcile_funding
from services.ingest import ingest_export
from services.invoicing import InvoicingTerms, issue_due_invoices
from services.payments import match_payments
from services.payouts import export_batches, schedule_payouts, track_executions
from services.statements import import_statement_files

MARKETPLACE, TERMS = Marketplace(), InvoicingTerms()


def _import(engine: Engine, folder: Path, path: Path, day: date) -> None:
    now = night_of(day).now()
    import_statement_files(engine, [path], archive_dir=folder / "archive",
                           rejected_dir=folder / "rejected", own_ibans={MARKETPLACE.iban}, now=now)
    match_payments(engine, now=now)


def night(engine: Engine, day: date) -> None:
    now = night_of(day).now()
    reconcile_funding(engine, as_of=day, now=now, reference=reference_data(),
                      marketplace=MARKETPLACE)
    issue_due_invoices(engine, as_of=day, now=now, marketplace=MARKETPLACE,
                       reference=reference_data(), terms=TERMS)


def build_demo_ledger(engine: Engine, folder: Path) -> date:
    """The demo's ledger in `engine`; returns the last night's date."""
    write_demo_export(folder / "export", seed=2026, as_of=DEMO_AS_OF)
    ingest_export(engine, folder / "export", now=night_of(DEMO_AS_OF).now())
    night(engine, DEMO_AS_OF)
    invoices = demo_invoices(engine)
    night(engine, PAYMENT_DAY)
    _import(engine, folder, write_demo_statement(invoices, folder / "bank", PAYMENT_DAY),
            PAYMENT_DAY)
    now = night_of(PAYMENT_DAY).now()
    report = schedule_payouts(engine, as_of=PAYMENT_DAY, now=now)
    export_batches(engine, as_of=PAYMENT_DAY, now=now, output_dir=folder / "out",
                   marketplace=MARKETPLACE, report=report)
    written = write_demo_payout_statement(engine, folder / "bank", MARKETPLACE.iban)
    if written is None:
        return PAYMENT_DAY
    camt, day = written
    _import(engine, folder, camt, day)
    track_executions(engine, now=night_of(day).now(), marketplace=MARKETPLACE)
    return day
