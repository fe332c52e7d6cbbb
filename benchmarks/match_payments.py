"""Benchmark: the pure matching core, `match_credits`, on a synthetic statement (issue: quadratic).

Generates N open invoices spread over about N/170 payers (eleven OPCOs carrying 40 % of the
invoices, the rest companies), some of them imported from a previous tool (numbers such as
`F2025-000123` or `2025/0456`), standard prices repeated as in real catalogues, dossier and session
references; and 2N credits: half cite an invoice (our number in its usual forms, a legacy number,
a 10-digit form, a dossier), a quarter pay an amount without a reference (one invoice or two of a
payer), a quarter are anything else (unknown payers, unrelated amounts). Payers come with a learned
IBAN (60 %), a counterparty name only (30 %, with spelling variants) or nothing.

Prints the single-payer case of the issue (500 credits x 1,000 open invoices of one payer), then,
for each scale, the time of `match_credits` and what it decided: wall time and this process's CPU
time (time.process_time: comparable when other work shares the machine), `--repeat` runs, min and
median. The cyclic garbage collector is paused during the call, as the adapter runs it
(`services.statements.collector_paused`); `--collector-on` leaves it running. Targets: 100,000
credits and 50,000 invoices in <= 5 s; 10x the data in <= 12x the time. By default the payers grow
with the invoices (about 300 at x1, 3,000 at x10); `--payers 300` keeps the directory the same size.

    .venv/bin/python benchmarks/match_payments.py [--invoices 50000] [--scales 1 10] [--repeat 3]
    .venv/bin/python benchmarks/match_payments.py --invoices 5000 --scales 1 10  # 10k -> 100k credits
    .venv/bin/python benchmarks/match_payments.py --module some.saved.copy  # another implementation
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal
from types import ModuleType

from services.statements import collector_paused

OPCOS = ["ATLAS", "AKTO", "OPCO EP", "AFDAS", "OCAPIAT", "CONSTRUCTYS", "OPCO 2I", "OPCO MOBILITES",
         "OPCO SANTE", "UNIFORMATION", "OPCOMMERCE"]
WORDS = ["ACME", "BETA", "DELTA", "ORION", "ALPHA", "NOVA", "LUMEN", "TERRA", "AQUA", "VERDE", "SOLAR",
         "ATLANTIQUE", "BRETAGNE", "PROVENCE", "NORD", "ALPES", "FORMATION", "CONSEIL", "INDUSTRIE",
         "TRANSPORTS", "BATIMENT", "SERVICES", "LOGISTIQUE", "DIGITAL", "SANTE", "HOTELLERIE"]
LEGAL = ["SAS", "SARL", "SA", "EURL", "SASU"]
PRICES = [Decimal(p) for p in ("350.00", "480.00", "600.00", "720.00", "900.00", "1200.00", "1440.00",
                               "1800.00", "2100.00", "2400.00", "3000.00", "3600.00", "4200.00")]
START = date(2025, 1, 1)


def iban(n: int) -> str:
    return f"FR76{n:023d}"


def build(invoice_count: int, credit_count: int, seed: int, module: ModuleType,
          payer_count: int | None = None):
    rng = random.Random(seed)
    companies = max(20, (payer_count or invoice_count // 170) - len(OPCOS))
    payers = [(f"OPCO-{name.replace(' ', '')}", f"OPCO {name}", "opco") for name in OPCOS]
    seen_names: set[str] = set()
    for n in range(companies):
        while True:
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(WORDS)} {n}"
            if name not in seen_names:
                seen_names.add(name)
                break
        payers.append((f"C-{n:05d}", f"{name} {rng.choice(LEGAL)}", "company"))
    directory = module.PayerDirectory(
        ibans={iban(k): ref for k, (ref, _, _) in enumerate(payers) if k % 10 < 7},
        names={ref: (name,) for ref, name, _ in payers},
    )

    invoices = []
    for n in range(invoice_count):
        ref, name, kind = payers[rng.randrange(len(OPCOS))] if rng.random() < 0.4 else rng.choice(
            payers[len(OPCOS):])
        issued = START + timedelta(days=rng.randrange(700))
        if n % 20 == 0:
            number = f"F{issued.year}-{n:06d}"  # imported from the previous tool
        elif n % 20 == 1:
            number = f"{issued.year}/{n:05d}"
        else:
            number = f"FA-{issued.year}-{n:06d}"
        amount = rng.choice(PRICES) if rng.random() < 0.6 else Decimal(rng.randint(20_000, 900_000)) / 100
        invoices.append(module.OpenInvoice(
            number=number, funder_kind=kind, funder_ref=ref, funder_name=name,
            session_ref=f"S-{issued.year}-{n // 6:05d}",
            dossier_number=f"DOS-{issued.year}-{n:07d}" if kind == "opco" else None,
            residual=amount, issue_date=issued))
    by_payer: dict[str, list] = {}
    for invoice in invoices:
        by_payer.setdefault(invoice.funder_ref, []).append(invoice)
    index = {ref: k for k, (ref, _, _) in enumerate(payers)}
    names = {ref: name for ref, name, _ in payers}

    def who(ref: str) -> dict[str, str]:
        roll = rng.random()
        if roll < 0.6 and index[ref] % 10 < 7:
            return {"counterparty_iban": iban(index[ref]), "counterparty": names[ref]}
        if roll < 0.9:
            name = names[ref]
            return {"counterparty_iban": "", "counterparty": rng.choice(
                [name, name.upper(), name.rsplit(" ", 1)[0], name.replace(" ", "-", 1)])}
        return {"counterparty_iban": "", "counterparty": ""}

    credits = []
    for n in range(credit_count):
        booked = START + timedelta(days=30 + n * 700 // credit_count)
        kind = n % 4
        if kind in (0, 1):  # cites an invoice
            target = rng.choice(invoices)
            amount = target.residual if rng.random() < 0.8 else (
                (target.residual * Decimal("0.5")).quantize(Decimal("0.01")) if rng.random() < 0.5
                else target.residual + Decimal("50.00"))
            number = target.number
            if number.startswith("FA-") and rng.random() < 0.3:
                number = rng.choice([number.replace("-", ""), number[3:].replace("-", ""),
                                     number.replace("-", " ")])
            if target.dossier_number and rng.random() < 0.2:
                number = f"DOSSIER {target.dossier_number.replace('-', '')}"
            label = f"VIR SEPA RECU /DE {names[target.funder_ref]} /MOTIF REGLEMENT {number}"
            party = who(target.funder_ref)
        elif kind == 2:  # amount only
            ref = rng.choice(list(by_payer))
            pool = by_payer[ref]
            picked = rng.sample(pool, min(len(pool), rng.choice((1, 1, 1, 2))))
            amount = sum((inv.residual for inv in picked), Decimal("0.00"))
            label = f"VIR SEPA RECU /DE {names[ref]} /MOTIF PAIEMENT {rng.randrange(10**6):06d}"
            party = who(ref)
        else:  # anything else
            amount = Decimal(rng.randint(1_000, 500_000)) / 100
            label = f"VIR RECU DIVERS {rng.randrange(10**8)} ECHEANCE {booked:%Y%m%d}"
            party = {"counterparty_iban": iban(10**6 + rng.randrange(5000)),
                     "counterparty": f"PARTICULIER {rng.randrange(5000)}"}
        credits.append(module.Credit(line_id=f"L{n:07d}", booking_date=booked, amount=amount,
                                     label=label, reference="", **party))
    rng.shuffle(credits)
    return credits, invoices, directory


def single_payer(module: ModuleType, credits: int = 500, invoices: int = 1000):
    rng = random.Random(3)
    directory = module.PayerDirectory(ibans={iban(1): "ATLAS"}, names={"ATLAS": ("OPCO Atlas",)})
    open_invoices = [module.OpenInvoice(
        number=f"FA-2026-{n:06d}", funder_kind="opco", funder_ref="ATLAS", funder_name="OPCO ATLAS",
        session_ref=f"S-2026-{n:04d}", dossier_number=None,
        residual=Decimal(rng.randint(10_000, 500_000)) / 100,
        issue_date=date(2026, 1, 1) + timedelta(days=n % 200)) for n in range(invoices)]
    lines = []
    for n in range(credits):
        target = open_invoices[rng.randrange(invoices)]
        label = f"VIR OPCO ATLAS FACTURE {target.number}" if n % 2 else "VIR OPCO ATLAS"
        lines.append(module.Credit(f"L{n:05d}", date(2026, 9, 1), target.residual, label,
                                   "OPCO ATLAS", iban(1), ""))
    return lines, open_invoices, directory


def run(module: ModuleType, credits, invoices, directory, *, collector: bool = False
        ) -> tuple[float, float, list]:
    """(wall seconds, CPU seconds, decisions) of one `match_credits`."""
    with contextlib.nullcontext() if collector else collector_paused():
        wall, cpu = time.perf_counter(), time.process_time()
        decisions = module.match_credits(credits, invoices, directory)
        return time.perf_counter() - wall, time.process_time() - cpu, decisions


def report(title: str, runs: list[tuple[float, float]], decisions: list) -> None:
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    auto = sum(d.auto for d in decisions)
    proposed = sum(not d.auto and d.best is not None for d in decisions)
    print(f"{title}: wall min {min(walls):7.2f} s, median {statistics.median(walls):7.2f} s | "
          f"CPU min {min(cpus):7.2f} s, median {statistics.median(cpus):7.2f} s ({len(runs)} runs)\n"
          f"    {len(decisions):,} credits, {auto:,} automatic, {proposed:,} proposals, "
          f"{len(decisions) - auto - proposed:,} without candidate; "
          f"{min(walls) / max(1, len(decisions)) * 1e6:,.0f} µs per credit")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=50_000, help="open invoices at scale 1")
    parser.add_argument("--credits", type=int, default=None, help="credits at scale 1 (2x invoices)")
    parser.add_argument("--scales", type=int, nargs="*", default=[1, 10])
    parser.add_argument("--payers", type=int, default=None,
                        help="payers at every scale (default: one per 170 invoices, 10x more at x10)")
    parser.add_argument("--module", default="backoffice.matching")
    parser.add_argument("--skip-single-payer", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each scale (min and median)")
    parser.add_argument("--collector-on", action="store_true",
                        help="leave the cyclic garbage collector running (the adapter pauses it)")
    args = parser.parse_args()
    module = importlib.import_module(args.module)
    if not args.skip_single_payer:
        data = single_payer(module)
        runs = [run(module, *data, collector=args.collector_on) for _ in range(args.repeat)]
        report("single payer, 500 credits x 1,000 invoices", [r[:2] for r in runs], runs[-1][2])
    best: dict[int, tuple[float, float]] = {}
    for scale in args.scales:
        invoice_count = args.invoices * scale
        credit_count = (args.credits or 2 * args.invoices) * scale
        data = build(invoice_count, credit_count, seed=scale, module=module, payer_count=args.payers)
        runs = []
        for _ in range(args.repeat):
            wall, cpu, decisions = run(module, *data, collector=args.collector_on)
            runs.append((wall, cpu))
        best[scale] = (min(w for w, _ in runs), min(c for _, c in runs))
        report(f"x{scale}: {credit_count:,} credits, {invoice_count:,} invoices", runs, decisions)
        del data, decisions
    if 1 in best:
        for scale, (wall, cpu) in best.items():
            if scale != 1:
                print(f"x{scale} / x1 time ratio (min over runs): wall {wall / best[1][0]:.1f}, "
                      f"CPU {cpu / best[1][1]:.1f} (target <= {1.2 * scale:.0f})")


if __name__ == "__main__":
    main()
