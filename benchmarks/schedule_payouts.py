"""Benchmark: trainer payouts decided, scheduled and exported as validated SEPA files (issue:
10,000 payouts in under 10 s on 2 cores).

Builds a SQLite database with N completed sessions, each with its funder invoice paid in full and
the trainer's invoice deposited (so no self-billed PDF is rendered: that is document rendering,
measured by benchmarks/render_bundles.py), over N/10 trainers. Then times, separately:
  * `schedule_payouts` (facts loaded in bulk, the core's decision, one payout row each, under the
    payout lock, one transaction);
  * `export_batches` (one pain.001.001.03 per execution date, built with sepaxml, validated
    against the XSD and the EPC rules, stored, written);
and prints both, their sum, and the XSD validation alone. Run twice to see that the second
run decides nothing.

    .venv/bin/python benchmarks/schedule_payouts.py [--payouts 10000] [--version 03]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from adapters.database import ready_engine, unit_of_work
from adapters.models import Client, Invoice, Programme, Session, Trainer, TrainerInvoice
from adapters.sepa import validate_pain001
from adapters.settings import Marketplace
from demo.generator import _french_iban  # a valid French IBAN from a seeded generator
from services.payouts import export_batches, schedule_payouts

NOW = datetime(2027, 1, 5, 3, 30, tzinfo=UTC)
AS_OF = date(2027, 1, 5)


def populate(engine, count: int) -> None:
    import random

    rng = random.Random(7)
    trainers = max(1, count // 10)
    fees = [Decimal(f) for f in ("600.00", "900.00", "1200.00", "1500.00", "2100.00")]
    with unit_of_work(engine) as db:
        db.execute(insert(Programme), [{
            "programme_ref": "PR-1", "title": "Excel", "objectives": "-", "content": "-",
            "prerequisites": "-", "audience": "-", "methods": "-", "evaluation": "-",
            "accessibility": "-", "duration_hours": Decimal("14")}])
        db.execute(insert(Client), [{
            "client_ref": "CL-1", "name": "Acme", "siret": "73282932000074", "address": "1 rue",
            "postcode": "75001", "city": "Paris", "contact_name": "A", "contact_email": "a@b.example"}])
        db.execute(insert(Trainer), [{
            "trainer_ref": f"TR-{t:05d}", "first_name": "Élodie", "last_name": f"Marchand {t}",
            "email": f"t{t}@formateurs.example", "siret": "73282932000074",
            "nda": "11755555575" if t % 7 else None, "iban": _french_iban(rng, "30003"),
            "bic": None, "vat_regime": ("franchise", "exempt", "vat")[t % 3],
            "self_billing": False, "address": "3 rue des Lilas", "postcode": "69003",
            "city": "Lyon"} for t in range(trainers)])
        sessions, invoices, deposits = [], [], []
        for n in range(count):
            trainer = n % trainers
            fee = fees[n % len(fees)]
            vat = (fee * Decimal("0.20")).quantize(Decimal("0.01")) if trainer % 3 == 2 else Decimal("0.00")
            ref = f"S-{n:06d}"
            sessions.append({
                "session_ref": ref, "programme_ref": "PR-1", "trainer_ref": f"TR-{trainer:05d}",
                "client_ref": "CL-1", "start_date": date(2026, 12, 1), "end_date": date(2026, 12, 2),
                "hours_per_trainee": Decimal("14"), "modality": "presentiel", "location": "Paris",
                "price_ht": fee * 2, "trainer_fee_ht": fee, "funding": "company"})
            invoices.append({
                "number": f"FA-2026-{n + 1:06d}", "kind": "invoice", "session_ref": ref,
                "invoice_key": "company", "funder_kind": "company", "funder_ref": "CL-1",
                "funder_name": "Acme", "billing_email": "a@b.example", "issue_date": date(2026, 12, 3),
                "due_date": date(2027, 1, 2), "total_ht": fee * 2, "total_vat": Decimal("0.00"),
                "total_ttc": fee * 2, "document": {}, "status": "paid", "paid_amount": fee * 2,
                "created_at": NOW})
            deposits.append({
                "trainer_ref": f"TR-{trainer:05d}", "number": f"F-{n:06d}", "session_ref": ref,
                "amount_ht": fee, "vat": vat, "amount_ttc": fee + vat, "received_at": NOW})
        db.execute(insert(Session), sessions)
        db.execute(insert(Invoice), invoices)
        db.execute(insert(TrainerInvoice), deposits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payouts", type=int, default=10_000)
    parser.add_argument("--version", choices=("03", "09"), default="03")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = ready_engine(f"sqlite:///{folder}/bench.sqlite3")
        started = time.perf_counter()
        populate(engine, args.payouts)
        print(f"base de test : {args.payouts} sessions payées en {time.perf_counter() - started:.1f} s")
        for attempt in (1, 2):
            wall, cpu = time.perf_counter(), time.process_time()
            report = schedule_payouts(engine, as_of=AS_OF, now=NOW)
            scheduled = time.perf_counter() - wall
            export_batches(engine, as_of=AS_OF, now=NOW, output_dir=Path(folder),
                           marketplace=Marketplace(), version=args.version, report=report)
            total, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(f"passage {attempt} : {len(report.scheduled)} virements décidés en "
                  f"{scheduled:.2f} s, {len(report.batches)} fichier(s) exporté(s) et validé(s) "
                  f"en {total - scheduled:.2f} s ; total {total:.2f} s (CPU {cpu:.2f} s)")
            for batch in report.batches:
                xml = (Path(folder) / batch.path).read_bytes()
                wall = time.perf_counter()
                validate_pain001(xml, args.version)
                print(f"  {batch.batch_id} : {batch.transfers} virements, {batch.total} €, "
                      f"{len(xml) / 1e6:.1f} Mo ; validation seule {time.perf_counter() - wall:.2f} s")


if __name__ == "__main__":
    main()
