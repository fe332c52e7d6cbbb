"""The demo generator at a year's scale, for benchmarks/nightly_year.py.

The demo (demo/generator.py) draws 44 sessions around one date for 15 trainers and 20 clients.
Here the same functions draw a year of sessions (about 5,000 at scale 1) for 800 trainers and
600 clients spread over the 11 OPCOs (their IDCCs from data/idcc_opco.csv), with the demo's
rules for schedules, trainees, timelines, PECs, attendance and its evidence, completions and
trainer invoices. Everything is drawn once, as known at the end of the horizon; the export a
night sees is then a filter of it (`write_export`): what the platform knew before that night,
for the sessions still live (ending at most `WINDOW_DAYS` before it, like the demo's sessions,
which start from 100 days back). So the export a night reads does not grow with the history.

Deterministic: the same seed and sizes give the same files. The demo's own output is untouched.
"""

from __future__ import annotations

import csv
import random
import shutil
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from demo.generator import (
    BANKS,
    CLIENT_CONTACTS,
    COLUMNS,
    DOSSIER_PREFIX,
    FIRST_NAMES,
    FUNDINGS,
    IDCC_OPCO,
    LAST_NAMES,
    NDA_REGIONS,
    TRAINER_ADDRESSES,
    Plan,
    Session,
    _add_evidence,
    _approval_pdf,
    _attendance,
    _completions,
    _draw,
    _french_iban,
    _pec,
    _programmes,
    _session_row,
    _set_timeline,
    _siret,
    _slug,
    _trainer_invoices,
)

WINDOW_DAYS = 120  # a session is in the export until this many days after its end
# How the sessions are funded (demo.generator.FUNDINGS: OPCO with subrogation, OPCO refunding
# the company, the company alone), and the share of subrogated sessions whose PEC grants less
# than the price (the OPCO's hourly ceiling): the company pays the rest on an invoice of its own.
FUNDING_WEIGHTS = (65, 15, 20)
RESTE_A_CHARGE = 0.8
IDCC_FILE = Path(__file__).resolve().parent.parent / "data" / "idcc_opco.csv"
CITIES = (("75009", "Paris"), ("69003", "Lyon"), ("59000", "Lille"), ("44000", "Nantes"),
          ("33000", "Bordeaux"), ("31000", "Toulouse"), ("35000", "Rennes"),
          ("13008", "Marseille"), ("67000", "Strasbourg"), ("21000", "Dijon"),
          ("34000", "Montpellier"), ("06000", "Nice"), ("38000", "Grenoble"))
FORMS = ("SAS", "SARL", "SA")
TRADES = ("Conseil", "Industrie", "Services", "Transports", "Logistique", "Santé", "Commerce",
          "Bâtiment", "Numérique", "Distribution", "Agroalimentaire", "Culture")


@dataclass(frozen=True)
class Sizes:
    """What a year holds at scale 1: the issue's figures (invoices and bank lines follow from
    the sessions: one or two funder invoices a session, a payment line each plus the bank's
    own lines; nightly_year.py prints what the year left in the database)."""

    sessions: int = 5000
    trainers: int = 800
    clients: int = 600

    def scaled(self, scale: float) -> Sizes:
        return Sizes(max(60, round(self.sessions * scale)), max(20, round(self.trainers * scale)),
                     max(30, round(self.clients * scale)))


@dataclass
class Year:
    """One year of sessions and what the platform records about them, with the day each
    record became known."""

    year: int
    sessions: list[Session]
    pecs: list[tuple[date, dict[str, str]]]  # (received on, row)
    documents: dict[str, bytes]
    attendance: dict[str, list[dict[str, str]]]  # per session_ref
    completions: dict[str, date]  # declared on, per session_ref
    completion_rows: dict[str, dict[str, str]]
    trainer_invoices: list[tuple[date, dict[str, str]]]


@dataclass
class World:
    trainers: list[dict[str, str]]
    clients: list[dict[str, str]]
    programmes: list[dict[str, str]]
    years: list[Year] = field(default_factory=list)

    @property
    def session_count(self) -> int:
        return sum(len(y.sessions) for y in self.years)


def _idccs_by_opco() -> dict[str, list[str]]:
    lines = [line for line in IDCC_FILE.read_text(encoding="utf-8").splitlines()
             if not line.startswith("#")]
    found: dict[str, list[str]] = defaultdict(list)
    for row in csv.DictReader(lines):
        found[row["opco"]].append(row["idcc"])
    return dict(found)


def _trainers(rng: random.Random, count: int) -> list[dict[str, str]]:
    rows = []
    for i in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        bank, bic = rng.choice(BANKS)
        street, postcode, city = rng.choice(TRAINER_ADDRESSES)
        rows.append({
            "trainer_ref": f"TR-{i + 1:04d}", "first_name": first, "last_name": last,
            "email": f"{_slug(first)}.{_slug(last, '')}.{i + 1}@formateurs.example",
            "siret": _siret(rng),
            "nda": "" if rng.random() < 0.1 else rng.choice(NDA_REGIONS) + "".join(
                rng.choice("0123456789") for _ in range(9)),
            "iban": _french_iban(rng, bank), "bic": bic,
            "vat_regime": rng.choice(("franchise", "exempt", "vat")),
            "self_billing": "yes" if rng.random() < 0.3 else "no",
            "address": f"{rng.randint(1, 120)} {street}", "postcode": postcode, "city": city,
        })
    return rows


def _clients(rng: random.Random, count: int) -> list[dict[str, str]]:
    by_opco = _idccs_by_opco()
    opcos = sorted(by_opco)
    rows = []
    for i in range(count):
        opco = opcos[i % len(opcos)]
        name = f"{rng.choice(TRADES)} {rng.choice(LAST_NAMES)} {i + 1}"
        postcode, city = rng.choice(CITIES)
        rows.append({
            "client_ref": f"CL-{i + 1:04d}", "name": f"{name} {rng.choice(FORMS)}",
            "siret": _siret(rng), "address": f"{rng.randint(2, 140)} rue {rng.choice(LAST_NAMES)}",
            "postcode": postcode, "city": city, "idcc": rng.choice(by_opco[opco]),
            "headcount": str(rng.randint(5, 49)), "contact_name": rng.choice(CLIENT_CONTACTS),
            "contact_email": f"rh@{_slug(name)}.example",
            "opco": opco,
        })
        if IDCC_OPCO.get(rows[-1]["idcc"]) == opco and rng.random() < 0.3:
            rows[-1]["opco"] = ""  # found from the IDCC, as in the demo
    return rows


def build_world(years: list[int], sizes: Sizes, seed: int = 2026) -> World:
    """The trainers, clients and programmes, then each year's sessions (starting from 1 January
    to 31 December), in order. Each year is drawn from a generator of its own: a year is the
    same whatever years come before it, so one year with or without the two before differs by
    its history only."""
    rng = random.Random(f"year-export-{seed}")
    world = World(_trainers(rng, sizes.trainers), _clients(rng, sizes.clients), _programmes())
    for year in years:
        world.years.append(_build_year(random.Random(f"year-export-{seed}-{year}"), world, year,
                                       sizes.sessions, seed))
    return world


def _build_year(rng: random.Random, world: World, year: int, count: int, seed: int) -> Year:
    first = date(year, 1, 1)
    horizon = date(year + 1, 3, 1)  # everything of the year is known by then
    taken: set[tuple[str, date]] = set()
    sessions = []
    for _ in range(count):
        cancelled = rng.random() < 0.03
        funding = rng.choices(FUNDINGS, weights=FUNDING_WEIGHTS)[0]
        trap = "cancelled" if cancelled else "pec_partial" if (
            funding == "opco_subrogation" and rng.random() < RESTE_A_CHARGE) else ""
        plan = Plan(trap, (0, 364), funding, rng.choice(world.programmes),
                    rng.choice(world.trainers), rng.choice(world.clients), free_rhythm=True)
        sessions.append(_draw(rng, first, plan, taken))
    sessions.sort(key=lambda s: s.start)
    for n, trainee in enumerate((t for s in sessions for t in s.trainees), 1):
        trainee["trainee_ref"] = f"T-{year}-{n:05d}"
    for n, s in enumerate(sessions, 1):
        s.ref = s.pec_session_ref = f"S-{year}-{n:05d}"
        _set_timeline(rng, horizon, s)
    pending = sorted((_pec(rng, horizon, s) for s in sessions
                      if s.funding != "company" and s.trap != "cancelled"), key=lambda p: p[0])
    number = rng.randrange(10_000, 40_000)
    pecs, documents = [], {}
    for n, (received, row) in enumerate(pending, 1):
        number += rng.randint(1, 90)
        dossier = f"{DOSSIER_PREFIX[row['opco']]}-{year}-{number:06d}"
        row = {"pec_ref": f"PEC-{year}-{n:05d}", "dossier_number": dossier, **row,
               "document": ""}
        if rng.random() < 0.9:
            row["document"] = f"accord-{dossier}.pdf"
            documents[row["document"]] = _approval_pdf(row)
        pecs.append((received.date(), row))
    rows = _attendance(rng, horizon, sessions)
    _add_evidence(random.Random(f"evidence-{seed}-{year}"), sessions, rows)
    attendance: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        attendance[row["session_ref"]].append(row)
    declared = _completions(rng, horizon, sessions)
    invoices = _trainer_invoices(rng, horizon, sessions, declared)
    for row in invoices:  # a trainer's numbers restart each year of sessions: keep them apart
        row["number"] = row["number"].replace("F-", f"F{year % 100}-", 1)
    return Year(year, sessions, pecs, documents, dict(attendance),
                {ref: moment.date() for ref, moment in declared.items()},
                {ref: {"session_ref": ref, "declared_at": moment.isoformat()}
                 for ref, moment in declared.items()},
                [(date.fromisoformat(row["received_at"][:10]), row) for row in invoices])


def write_export(world: World, folder: Path, day: date) -> dict[str, int]:
    """The export the platform hands over for the night of `day`: what it knew before that day,
    for the sessions validated before it and ending at most WINDOW_DAYS before it."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "documents").mkdir(parents=True)
    oldest = day - timedelta(days=WINDOW_DAYS)
    tables: dict[str, list[dict[str, str]]] = {
        "trainers.csv": world.trainers, "clients.csv": world.clients,
        "programmes.csv": world.programmes}
    for name in ("sessions.csv", "slots.csv", "trainees.csv", "pecs.csv", "attendance.csv",
                 "completions.csv", "trainer_invoices.csv"):
        tables[name] = []
    for year in world.years:
        live = [s for s in year.sessions if s.validated_at is not None
                and s.validated_at.date() < day and s.end >= oldest]
        refs = {s.ref for s in live}
        for s in live:
            row = _session_row(s)
            if s.cancelled_at is not None and s.cancelled_at.date() >= day:
                row["cancelled_at"] = ""
            tables["sessions.csv"].append(row)
            tables["slots.csv"] += [{"session_ref": s.ref, "date": d.isoformat(),
                                     "start": "09:00" if half == "am" else "13:30",
                                     "end": "12:30" if half == "am" else "17:00"}
                                    for d, half in s.slots]
            tables["trainees.csv"] += [{"session_ref": s.ref, **t} for t in s.trainees]
            if s.end < day and row["cancelled_at"] == "":
                tables["attendance.csv"] += year.attendance.get(s.ref, [])
            if year.completions.get(s.ref, day) < day:
                tables["completions.csv"].append(year.completion_rows[s.ref])
        for received, pec in year.pecs:
            if received < day and pec["session_ref"] in refs:
                tables["pecs.csv"].append(pec)
                if pec["document"]:
                    (folder / "documents" / pec["document"]).write_bytes(
                        year.documents[pec["document"]])
        tables["trainer_invoices.csv"] += [row for received, row in year.trainer_invoices
                                           if received < day and row["session_ref"] in refs]
    for name, rows in tables.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS[name], lineterminator="\n",
                                    extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    return {name: len(rows) for name, rows in tables.items()}


# --- the bank: the funders pay the invoices, the bank adds its own lines -----------------------

@dataclass(frozen=True)
class IssuedInvoice:
    number: str
    funder_kind: str
    funder_name: str
    dossier_number: str | None
    issue_date: date
    total_ttc: Decimal


def _amount(value: Decimal) -> str:
    units, cents = f"{value:.2f}".split(".")
    sign = "-" if units.startswith("-") else ""
    units = units.lstrip("-")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{' '.join(groups)},{cents}"


def pay_day(invoice: IssuedInvoice) -> date | None:
    """When the funder pays: 20 to 50 days after the issue; one invoice in ten is never paid."""
    key = sum(map(ord, invoice.number))
    if key % 10 == 0:
        return None
    day = invoice.issue_date + timedelta(days=20 + key % 31)
    return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


@dataclass(frozen=True)
class ExportedBatch:
    """A SEPA file of trainer transfers handed to the bank: one debit on its execution date."""

    msg_id: str
    execution_date: date
    total: Decimal


def statement_lines(invoices: list[IssuedInvoice], first: date, last: date,
                    other_lines_per_day: int, batches: Sequence[ExportedBatch] = ()
                    ) -> list[str]:
    """The lines booked from `first` to `last`: a transfer quoting each invoice paid then, the
    debit of each batch of trainer transfers executed then (batch booking: one line quoting
    its MsgId), and the bank's own debits (fees, direct debits, card payments) on business
    days."""
    lines = [f"{batch.execution_date:%d/%m/%Y};VIR SEPA EMIS;VIR SEPA EMIS {batch.msg_id};"
             f"{_amount(-batch.total)};EUR"
             for batch in batches if first <= batch.execution_date <= last]
    for invoice in invoices:
        paid = pay_day(invoice)
        if paid is not None and first <= paid <= last:
            lines.append(f"{paid:%d/%m/%Y};VIR RECU;VIR RECU DE: "
                         f"{invoice.funder_name[:30].upper()} MOTIF: {invoice.number} "
                         f"{invoice.dossier_number or ''};{_amount(invoice.total_ttc)};EUR")
    day = first
    while day <= last:
        if day.weekday() < 5:
            for n in range(other_lines_per_day):
                label = ("PRLV SEPA URSSAF", "CB FOURNITURES BUREAU", "COMMISSION")[n % 3]
                amount = Decimal(-(10 + (n * 37 + day.toordinal()) % 400))
                lines.append(f"{day:%d/%m/%Y};{label.split()[0]};{label} {day:%d%m} {n};"
                             f"{_amount(amount)};EUR")
        day += timedelta(days=1)
    return lines


def write_statement(folder: Path, lines: list[str], first: date, last: date) -> Path:
    """A Société Générale CSV (cp1252, ';', an account line before the header)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"societe-generale-{first:%Y%m%d}-{last:%Y%m%d}.csv"
    header = "Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise"
    text = "\r\n".join([f'="0001234567890";{first:%d/%m/%Y};{last:%d/%m/%Y};', "", header,
                        *lines]) + "\r\n"
    path.write_bytes(text.encode("cp1252", errors="replace"))
    return path
