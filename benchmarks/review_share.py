"""What the matcher applies on realistic statements, against the truth: the share of funder credits
applied without a human, the right answers left to review, and the wrong matches (issue 18, part 5).

Builds, at a fixed seed, a marketplace's open invoices (eleven OPCOs and 150 companies; the
catalogue's standard prices repeated; our numbers `FA-YYYY-NNNNNN`, OPCO dossiers shared by the
OPCO's and the company's invoices of a session) and two months of credits whose truth is known,
in the shapes the issue met: the number quoted whole or shortened (`FACT 123`, `FA 2026-123`), one
digit off, a dossier; a partial payment quoting the dossier or the invoice; an over-payment; a
grouped payment of two or three invoices without a reference; the payer's name abbreviated by the
bank; and credits that pay none of our invoices. Between the months the operator decides every
credit of the first left to review, as `decide_payment` would (naming the true invoices): that
teaches the payer's IBAN and its name as seen on the line (`PayerDirectory.learned_names`, as
`services.payments.payer_directory` reads the operators' decisions; `--no-aliases`: the IBAN only,
as before issue 18's learned names). The second month is measured.

A decision is wrong when it is applied and its invoices are not the truth's (a credit paying none
of ours has no right one). A review is "right" when its first proposal is the truth.

    .venv/bin/python benchmarks/review_share.py [--seeds 5 6 7] [--no-aliases] [--show-wrong]
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from backoffice.matching import Credit, OpenInvoice, PayerDirectory, match_credits

OPCOS = {"ATLAS": "OPCO ATLAS", "AKTO": "AKTO", "EP": "OPCO EP", "AFDAS": "AFDAS", "OCAPIAT": "OCAPIAT",
         "CONSTRUCTYS": "CONSTRUCTYS", "2I": "OPCO 2I", "MOBILITES": "OPCO MOBILITES",
         "SANTE": "OPCO SANTE", "UNIFORMATION": "UNIFORMATION", "COMMERCE": "L OPCOMMERCE"}
WORDS = ["ACME", "BETA", "DELTA", "ORION", "ALPHA", "NOVA", "LUMEN", "TERRA", "AQUA", "VERDE", "SOLAR",
         "ATLANTIQUE", "BRETAGNE", "PROVENCE", "NORD", "ALPES", "FORMATION", "CONSEIL", "INDUSTRIE"]
PRICES = [Decimal(p) for p in ("350.00", "480.00", "600.00", "720.00", "900.00", "1200.00", "1440.00",
                               "1800.00", "2100.00", "2400.00")]
D0 = date(2026, 1, 1)


def iban(n: int) -> str:
    return f"FR76{n:023d}"


def abbreviated(name: str) -> str:
    """A name as a bank cuts it: "OPCO MOBILITES" → "OPCO MOB", "NOVA TERRA CONSEIL SAS" → "NOVA TER"."""
    words = name.split()
    return " ".join([*words[:-1], words[-1][:3]]) if len(words) > 1 else name[:4]


def build(seed: int) -> tuple[list[OpenInvoice], list[tuple[Credit, frozenset[str] | None, str]],
                               PayerDirectory, dict[str, str]]:
    rng = random.Random(seed)
    payers = {ref: name for ref, name in OPCOS.items()}
    used: set[str] = set()
    while len(payers) < len(OPCOS) + 150:
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(WORDS)}"
        if name not in used and len(set(name.split())) == 3:
            used.add(name)
            payers[f"C{len(payers):03d}"] = f"{name} {rng.choice(['SAS', 'SARL', 'SA'])}"
    refs = sorted(payers)
    ibans = {ref: iban(k + 1) for k, ref in enumerate(refs)}
    known = {ibans[ref]: ref for k, ref in enumerate(refs) if k % 10 < 5}  # half the IBANs learned already
    invoices: list[OpenInvoice] = []
    counter = 0
    for session in range(1500):  # a session: the OPCO's share and the company's rest, one dossier
        opco = rng.choice(list(OPCOS))
        company = rng.choice(refs[len(OPCOS):])
        issued = D0 + timedelta(days=rng.randrange(120))
        dossier = f"{opco[:2]}-2026-{rng.randrange(10**6):06d}"
        price = rng.choice(PRICES) if rng.random() < 0.6 else Decimal(rng.randint(30_000, 400_000)) / 100
        opco_part = (price * Decimal("0.8")).quantize(Decimal("0.01"))
        for ref, amount in ((opco, opco_part), (company, price - opco_part)):
            if ref == company and rng.random() < 0.5:
                continue  # fully funded
            counter += 1
            invoices.append(OpenInvoice(
                number=f"FA-2026-{counter:06d}", funder_kind="opco" if ref in OPCOS else "company",
                funder_ref=ref, funder_name=payers[ref], session_ref=f"S-2026-{session:04d}",
                dossier_number=dossier if ref in OPCOS else None, residual=amount, issue_date=issued))
    by_payer: dict[str, list[OpenInvoice]] = {}
    for inv in invoices:
        by_payer.setdefault(inv.funder_ref, []).append(inv)
    taken: set[str] = set()
    credits: list[tuple[Credit, frozenset[str] | None, str]] = []

    def pick(pool: list[OpenInvoice]) -> OpenInvoice | None:
        free = [inv for inv in pool if inv.number not in taken]
        return rng.choice(free) if free else None

    for n in range(2400):
        booked = D0 + timedelta(days=130 + n * 60 // 2400)
        shape = rng.choices(["exact", "short", "typo", "dossier", "partial dossier", "partial invoice",
                             "over-payment", "grouped", "abbreviated", "other"],
                            [30, 10, 4, 6, 8, 4, 4, 10, 14, 10])[0]
        target = pick(invoices)
        if target is None:
            break
        ref = target.funder_ref
        counterparty = payers[ref]
        account = ibans[ref] if rng.random() < 0.6 else ""
        amount, truth = target.residual, frozenset({target.number})
        digits = target.number[-6:]
        motive = target.number
        if shape == "short":
            motive = rng.choice([f"FACT {int(digits)}", f"FA 2026-{int(digits)}", f"FACTURE N {int(digits)}"])
        elif shape == "typo":
            k = rng.randrange(6)
            motive = f"FA-2026-{digits[:k]}{(int(digits[k]) + rng.randrange(1, 10)) % 10}{digits[k + 1:]}"
        elif shape in ("dossier", "partial dossier"):
            if target.dossier_number is None:
                continue
            motive = f"DOSSIER {target.dossier_number}"
            if shape == "partial dossier":
                share = Decimal(rng.choice(("0.75", "0.9", "0.6")))
                amount = (target.residual * share).quantize(Decimal("0.01"))
        elif shape == "partial invoice":
            amount = (target.residual * Decimal("0.8")).quantize(Decimal("0.01"))
        elif shape == "over-payment":
            amount = target.residual + rng.choice((Decimal("10.00"), Decimal("0.50"), Decimal("35.00")))
        elif shape == "grouped":
            free = [inv for inv in by_payer[ref] if inv.number not in taken and inv.issue_date <= booked]
            if len(free) < 3:
                continue
            group = rng.sample(free, rng.choice((2, 2, 3)))
            truth = frozenset(inv.number for inv in group)
            amount = sum((inv.residual for inv in group), Decimal("0.00"))
            motive = f"REGLEMENT {booked:%m/%Y}"
        elif shape == "abbreviated":
            counterparty, account = abbreviated(payers[ref]), ""
            motive = rng.choice([target.number, f"REGLEMENT {booked:%m/%Y}"])
        elif shape == "other":
            amount = Decimal(rng.randint(1_000, 300_000)) / 100
            counterparty, account = f"PARTICULIER {rng.randrange(500)}", iban(10**5 + rng.randrange(500))
            motive, truth = f"REMBOURSEMENT {rng.randrange(10**5)}", None
        if truth is not None:
            taken.update(truth)
        label = f"VIR SEPA RECU /DE {counterparty} /MOTIF {motive}"
        credits.append((Credit(f"L{n:05d}", booked, amount, label, counterparty, account, ""), truth, shape))
    directory = PayerDirectory(ibans=known, names={ref: (name,) for ref, name in payers.items()})
    return invoices, credits, directory, payers


def run(seed: int, aliases: bool, show: bool = False) -> Counter[tuple[str, str]]:
    invoices, credits, directory, _ = build(seed)
    half = len(credits) // 2
    first, second = credits[:half], credits[half:]
    decisions = match_credits([c for c, _, _ in first], invoices, directory)
    truth = {c.line_id: t for c, t, _ in first}
    paid: dict[str, Decimal] = {}
    learned_ibans = dict(directory.ibans)
    learned_names: dict[str, set[str]] = {}
    funder = {inv.number: inv.funder_ref for inv in invoices}
    by_id = {c.line_id: c for c, _, _ in first}
    for decision in decisions:
        chosen = truth[decision.line_id]
        if decision.auto and decision.best is not None:
            for number, amount in decision.best.allocations:
                paid[number] = paid.get(number, Decimal(0)) + amount
        elif chosen:  # the operator names the true invoices: the IBAN learned, and the name
            credit = by_id[decision.line_id]
            left = credit.amount
            paying = sorted((i for i in invoices if i.number in chosen),
                            key=lambda i: (i.issue_date, i.number))
            for inv in paying:
                applied = min(left, inv.residual - paid.get(inv.number, Decimal(0)))
                paid[inv.number] = paid.get(inv.number, Decimal(0)) + applied
                left -= applied
            ref = funder[next(iter(chosen))]
            if credit.counterparty_iban:
                learned_ibans.setdefault(credit.counterparty_iban, ref)
            if aliases and credit.counterparty:
                learned_names.setdefault(credit.counterparty, set()).add(ref)
    still_open = [OpenInvoice(**{**{f: getattr(inv, f) for f in OpenInvoice.__slots__},
                                 "residual": inv.residual - paid.get(inv.number, Decimal(0))})
                  for inv in invoices if inv.residual > paid.get(inv.number, Decimal(0))]
    later = PayerDirectory(ibans=learned_ibans, names=directory.names,
                           learned_names={name: tuple(sorted(refs)) for name, refs in learned_names.items()})
    decisions = match_credits([c for c, _, _ in second], still_open, later)
    truth = {c.line_id: (t, shape) for c, t, shape in second}
    by_line = {c.line_id: c for c, _, _ in second}
    counts: Counter[tuple[str, str]] = Counter()
    for decision in decisions:
        expected, shape = truth[decision.line_id]
        best = None if decision.best is None else frozenset(n for n, _ in decision.best.allocations)
        if decision.auto:
            outcome = "applied, right" if best == expected else "applied, WRONG"
            if best != expected and show:
                print("WRONG", shape, by_line[decision.line_id], sorted(expected or ()), decision.best)
        elif expected is not None and best == expected:
            outcome = "review, first proposal right"
        else:
            outcome = "review, other"
        counts[shape, outcome] += 1
        counts["all", outcome] += 1
        if expected is not None:
            counts["funder credits", outcome] += 1
    return counts


def report(counts: Counter[tuple[str, str]]) -> None:
    shapes = ["exact", "short", "typo", "dossier", "partial dossier", "partial invoice", "over-payment",
              "grouped", "abbreviated", "other", "funder credits", "all"]
    outcomes = ["applied, right", "applied, WRONG", "review, first proposal right", "review, other"]
    print(f"{'':16s}" + "".join(f"{o:>30s}" for o in outcomes) + f"{'auto share':>12s}")
    for shape in shapes:
        total = sum(counts[shape, o] for o in outcomes)
        auto = counts[shape, outcomes[0]] + counts[shape, outcomes[1]]
        print(f"{shape:16s}" + "".join(f"{counts[shape, o]:30d}" for o in outcomes)
              + f"{100 * auto / max(total, 1):11.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[5, 6, 7])
    parser.add_argument("--no-aliases", dest="aliases", action="store_false",
                        help="learn the payers' IBANs only, not their names, from the decisions")
    parser.add_argument("--show-wrong", action="store_true", help="print each wrong match")
    args = parser.parse_args()
    counts: Counter[tuple[str, str]] = Counter()
    for seed in args.seeds:
        counts += run(seed, args.aliases, args.show_wrong)
    print(f"seeds {', '.join(map(str, args.seeds))}, aliases learned from the decisions: {args.aliases}; "
          "the second month of each")
    report(counts)


if __name__ == "__main__":
    main()
