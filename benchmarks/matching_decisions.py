"""The decisions of the matching core, as one hash: a refactoring of `backoffice.matching` keeps them.

Builds the data sets of `benchmarks/match_payments.py` and the realistic shapes measured in
docs/payments.md, at a size that runs in well under a minute, runs `match_credits` on each and
prints a SHA-256 of every decision (line, outcome, reason, and each proposal: allocations, what
stays unapplied, score, evidence, payer), per data set and for all of them. Two implementations
decide alike when they print the same hashes.

- mixed: `match_payments.build` (payers by IBAN, name or nothing; our numbers in their usual
  forms, a previous tool's numbers, 10-digit forms, dossiers; amounts alone, one invoice or two;
  partial and over-payments; unrelated credits), at two seeds, one with a small directory;
- single payer: `match_payments.single_payer` (500 credits, 1,000 invoices of one OPCO);
- one OPCO, oldest first: the import benchmark's shape (an OPCO named only in the label paying a
  previous tool's invoices in turn, citing them), and the same OPCO paying by amount alone;
- names and typos: counterparty names misspelt, truncated, accented or with other legal forms,
  next to close names of other payers; numbers one digit off; accented labels; references with
  other separators (the approaching names and near misses the other sets rarely have).

    .venv/bin/python benchmarks/matching_decisions.py [--module backoffice.matching] [--scale 1]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import random
import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from types import ModuleType

from match_payments import build, iban, single_payer

DataSet = tuple[list, list, object]


def decision_lines(decisions: Iterable) -> Iterable[str]:
    """One line of text per decision, with everything it decided."""
    for decision in decisions:
        proposals = []
        for hypothesis in decision.proposals:
            allocations = ",".join(f"{number}={amount}" for number, amount in hypothesis.allocations)
            proposals.append(f"[{allocations}|{hypothesis.unapplied}|{hypothesis.score}|{hypothesis.payer}|"
                             + "|".join(hypothesis.evidence) + "]")
        best = "-" if decision.best is None else ",".join(f"{n}={a}" for n, a in decision.best.allocations)
        yield f"{decision.line_id}\t{decision.auto}\t{best}\t{decision.reason}\t{''.join(proposals)}\n"


def one_opco_in_turn(module: ModuleType, invoices: int, citing: bool) -> DataSet:
    """An OPCO paying its invoices oldest first: a previous tool's numbers cited in the label, the
    OPCO named there only (`benchmarks/import_and_match.py`); or the amounts alone, by its IBAN."""
    directory = module.PayerDirectory(ibans={iban(7): "ATLAS"}, names={"ATLAS": ("OPCO Atlas",)})
    open_invoices = [module.OpenInvoice(
        number=f"F2025-{n:06d}" if citing else f"FA-2025-{n:06d}", funder_kind="opco", funder_ref="ATLAS",
        funder_name="OPCO Atlas", session_ref="" if citing else f"S-2025-{n:05d}", dossier_number=None,
        residual=Decimal(1000 + n % 5000) + Decimal("0.50") if citing
        else Decimal(1000 + (n * 7919) % 3000) + Decimal("0.50"),
        issue_date=date(2025, 1, 1) + timedelta(days=n * 300 // invoices)) for n in range(invoices)]
    credits = []
    for n, invoice in enumerate(open_invoices):
        booked = date(2026, 1, 1) + timedelta(days=n * 365 // invoices)
        if citing:
            credits.append(module.Credit(f"L{n:06d}", booked, invoice.residual,
                                         f"VIR RECU DE: OPCO ATLAS MOTIF: {invoice.number}", "", "", ""))
        else:
            credits.append(module.Credit(f"L{n:06d}", booked, invoice.residual, "VIR SEPA RECU OPCO ATLAS",
                                         "OPCO ATLAS", iban(7), ""))
    return credits, open_invoices, directory


def _misspelt(rng: random.Random, name: str) -> str:
    """A name as a bank may carry it: a letter dropped, doubled or swapped, accents, truncated, a
    legal form changed or dropped, or the words in another order."""
    words = name.split()
    roll = rng.randrange(8)
    if roll == 0 and len(name) > 4:
        k = rng.randrange(len(name))
        return name[:k] + name[k + 1:]
    if roll == 1:
        k = rng.randrange(len(name))
        return name[:k] + name[k] + name[k:]
    if roll == 2 and len(name) > 3:
        k = rng.randrange(len(name) - 1)
        return name[:k] + name[k + 1] + name[k] + name[k + 2:]
    if roll == 3:
        return name.replace("E", "É", 1).replace("A", "À", 1).lower()
    if roll == 4:
        return name[:rng.randint(8, 18)]
    if roll == 5:
        return " ".join([*words[:-1], rng.choice(["SA", "SARL", "S.A.S.", "ET CIE", "GROUPE"])])
    if roll == 6:
        return " ".join(reversed(words))
    return name


def names_and_typos(module: ModuleType, invoices: int, seed: int) -> DataSet:
    rng = random.Random(seed)
    stems = ["FORMAPRO", "FORMAPLUS", "FORMAPRO CONSEIL", "EUROFORMATION", "EURO FORMATIONS", "ACME",
             "ACMEE", "BETA CONSEIL", "BETTA CONSEILS", "LE GALL ET FILS", "LEGALL", "ÉLAN SANTÉ",
             "ELAN SANTE NORD", "ATLANTIQUE TRANSPORTS", "TRANSPORTS ATLANTIQUES", "NOVA DIGITAL",
             "NOVA DIGITALE", "OPCO ATLAS", "ATLAS", "OPCO EP", "OPCO 2I", "AKTO", "AFDAS", "MARTIN",
             "MARTIN ET MARTIN", "DUPONT & FILS", "DUPONT FILS", "ORION LOGISTIQUE", "ORION LOGISTICS"]
    payers = [(f"P{k:03d}", f"{stem} {rng.choice(['SAS', 'SARL', 'SA', ''])}".strip())
              for k, stem in enumerate(stems)]
    directory = module.PayerDirectory(
        ibans={iban(100 + k): ref for k, (ref, _) in enumerate(payers) if k % 3 == 0},
        names={ref: (name, name.split()[0]) if k % 5 == 0 else (name,)
               for k, (ref, name) in enumerate(payers)})
    open_invoices = []
    for n in range(invoices):
        ref, name = rng.choice(payers)
        issued = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        open_invoices.append(module.OpenInvoice(
            number=f"FA-2026-{n + 1:06d}", funder_kind="company", funder_ref=ref, funder_name=name,
            session_ref=f"S-2026-{n // 3:04d}", dossier_number=f"AT-2026-{n:06d}" if n % 4 == 0 else None,
            residual=rng.choice([Decimal("480.00"), Decimal("1200.00"), Decimal("350.50")])
            if rng.random() < 0.5 else Decimal(rng.randint(10_000, 300_000)) / 100,
            issue_date=issued))
    names = dict(payers)
    credits = []
    for n in range(2 * invoices):
        target = rng.choice(open_invoices)
        booked = date(2026, 3, 1) + timedelta(days=rng.randrange(300))
        digits = target.number[-6:]
        roll = rng.randrange(7)
        if roll == 0:  # one digit off
            k = rng.randrange(6)
            cited = f"FA-2026-{digits[:k]}{rng.choice('0123456789')}{digits[k + 1:]}"
        elif roll == 1:
            cited = f"FACT {digits}"
        elif roll == 2:
            cited = f"FA 2026/{digits}"
        elif roll == 3 and target.dossier_number:
            cited = f"DOSSIER {target.dossier_number.replace('-', ' ')}"
        elif roll == 4:
            cited = f"RÈGLEMENT ÉCHÉANCE {booked:%d/%m}"
        else:
            cited = target.number
        amount = target.residual if rng.random() < 0.75 else rng.choice(
            [(target.residual / 2).quantize(Decimal("0.01")), target.residual + Decimal("10.00")])
        name = names[target.funder_ref]
        who = rng.randrange(4)
        counterparty = "" if who == 0 else _misspelt(rng, name)
        account = iban(100 + int(target.funder_ref[1:])) if who == 3 else ""
        label = f"VIR SEPA RECU /DE {name if who == 0 else 'CLIENT'} /MOTIF {cited}"
        credits.append(module.Credit(f"L{n:06d}", booked, amount, label, counterparty, account,
                                     rng.choice(["", "", target.session_ref])))
    return credits, open_invoices, directory


def data_sets(module: ModuleType, scale: int) -> dict[str, Callable[[], DataSet]]:
    return {
        "mixed (seed 1)": lambda: build(10_000 * scale, 20_000 * scale, seed=1, module=module),
        "mixed, 40 payers (seed 2)": lambda: build(3_000 * scale, 6_000 * scale, seed=2, module=module,
                                                   payer_count=40),
        "single payer": lambda: single_payer(module),
        "one OPCO oldest first, citing": lambda: one_opco_in_turn(module, 5_000 * scale, citing=True),
        "one OPCO oldest first, by amount": lambda: one_opco_in_turn(module, 5_000 * scale, citing=False),
        "names and typos": lambda: names_and_typos(module, 3_000 * scale, seed=4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--module", default="backoffice.matching")
    parser.add_argument("--scale", type=int, default=1, help="multiplies the data sets' sizes")
    args = parser.parse_args()
    module = importlib.import_module(args.module)
    everything = hashlib.sha256()
    started = time.perf_counter()
    for name, make in data_sets(module, args.scale).items():
        credits, invoices, directory = make()
        decisions = module.match_credits(credits, invoices, directory)
        digest = hashlib.sha256()
        for line in decision_lines(decisions):
            digest.update(line.encode())
            everything.update(line.encode())
        auto = sum(d.auto for d in decisions)
        proposed = sum(not d.auto and d.best is not None for d in decisions)
        print(f"{name:34s} {len(decisions):6,} credits: {auto:6,} auto, {proposed:6,} proposals "
              f"{digest.hexdigest()[:16]}")
    print(f"decisions: sha256 {everything.hexdigest()} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
