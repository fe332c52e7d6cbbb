"""The demo: a generated platform export through the nightly pipeline, on the embedded defaults."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from adapters.database import unit_of_work
from adapters.models import Invoice
from adapters.reports import write_report
from demo.generator import DEMO_AS_OF, write_demo_export
from demo.statements import DemoInvoice, write_demo_statement
from flows.nightly import nightly
from tasks import context

PAYMENT_DAY = DEMO_AS_OF + timedelta(days=1)


def demo_invoices(engine: Engine) -> list[DemoInvoice]:
    with unit_of_work(engine) as db:
        return [DemoInvoice(i.number, i.funder_kind, i.funder_name, i.dossier_number,
                            i.total_ttc)
                for i in db.scalars(select(Invoice).where(Invoice.kind == "invoice")
                                    .order_by(Invoice.number))]


def run_demo(seed: int = 2026) -> int:
    """Write the demo export into the inbox, run the nightly flow on the demo date, then on the
    next day with a bank statement paying some invoices, and write the reports.

    Deterministic: a second run finds nothing new and changes nothing.
    """
    settings = context.settings()
    if not settings.database_url.startswith("sqlite"):
        print("La démo n'écrit que dans la base SQLite embarquée : retirer DATABASE_URL.")
        return 2
    counts = write_demo_export(settings.export_inbox, seed=seed, as_of=DEMO_AS_OF)
    nightly(as_of=DEMO_AS_OF)
    # the next day, the bank statement brings the funders' first payments
    statement = write_demo_statement(demo_invoices(context.engine()), settings.bank_inbox,
                                     PAYMENT_DAY)
    summary = nightly(as_of=PAYMENT_DAY)
    report_dir = settings.output_dir / "report"
    reports = write_report(context.engine(), report_dir)
    print(summary.to_markdown())
    print("Export de démonstration :", settings.export_inbox,
          "(" + ", ".join(f"{name} {count}" for name, count in counts.items()) + ")")
    print("Base de données :", settings.database_url)
    print("Relevé bancaire de démonstration :", statement.name, "(archivé dans",
          settings.bank_inbox.parent / "bank-archive", ")")
    print("E-mails (.eml) :", settings.outbox_dir)
    print("Rapports CSV :", report_dir, f"({len(reports)} fichiers)")
    return 0
