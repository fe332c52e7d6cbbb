"""The BPF draft of a year (Cerfa 10443, docs/bpf.md): read the ledger and the attendance,
aggregate with pandas, write one CSV per cadre, the sessions whose data is missing, and a PDF laid
out like the form's cadres, marked as a draft.

Amounts are aggregated as integer cents and hours as integer hundredths (exact; back to `Decimal`
for the output). The rules (which line, which hours) are the core's: backoffice/bpf.py.

- C: the invoices and credit notes *issued* in the year (accrual by issue date), HT, a credit
  note negative, on the line of whom they are addressed to;
- D: the external trainers' fees of the year, HT: the invoices they sent (received in the year,
  Paris date) and those issued in their name under a self-billing mandate (issued in the year);
- E: the distinct trainers of the sessions that took place in the year, and their hours;
- F-1, F-3, F-4: the trainees with attended hours in the year, by status, objective, NSF code,
  with the certificates' hours; F-2 and G: zero by construction (docs/bpf.md).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
from sqlalchemy import Engine, select

from adapters.database import unit_of_work
from adapters.models import Invoice, Programme, Trainee
from adapters.pdf import html_to_pdf, render_html
from backoffice import bpf
from backoffice.dates import format_date_fr
from backoffice.money import ZERO, cents, euros
from services.accounting import trainer_invoices
from services.documents import load_document_facts

CENT = Decimal("0.01")
TO_COMPLETE = "à compléter (hors des données de la plateforme)"
TO_ASSIGN = "hors formulaire : à affecter à une ligne (voir sessions_incomplete.csv)"
ZERO_BY_DESIGN = "zéro par construction (docs/bpf.md)"

MONEY_COLUMNS = ("cadre", "ligne", "libelle", "montant_ht", "remarque")
PEOPLE_COLUMNS = ("cadre", "ligne", "libelle", "personnes", "heures", "remarque")
TRAINEE_COLUMNS = ("cadre", "ligne", "libelle", "stagiaires", "heures", "remarque")
INCOMPLETE_COLUMNS = ("session_ref", "programme_ref", "manque")
CADRES = ("C", "D", "E", "F-1", "F-2", "F-3", "F-4", "G")
COLUMNS = {"C": MONEY_COLUMNS, "D": MONEY_COLUMNS, "E": PEOPLE_COLUMNS, "F-1": TRAINEE_COLUMNS,
           "F-2": TRAINEE_COLUMNS, "F-3": TRAINEE_COLUMNS, "F-4": TRAINEE_COLUMNS,
           "G": TRAINEE_COLUMNS}
TITLES = {
    "C": "Bilan financier hors taxes : origine des produits de l'organisme",
    "D": "Bilan financier hors taxes : charges de l'organisme",
    "E": "Personnes dispensant des heures de formation",
    "F-1": "Type de stagiaires de l'organisme",
    "F-2": "Dont activité sous-traitée de l'organisme",
    "F-3": "Objectif général des prestations dispensées",
    "F-4": "Spécialités de formation",
    "G": "Bilan pédagogique : stagiaires dont la formation a été confiée à votre organisme par "
         "un autre organisme de formation",
}

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class BpfDraft:
    """The draft of a year: the rows of each cadre (CSV columns), what is missing, cadre B."""

    year: int
    sections: dict[str, list[Row]]
    incomplete: tuple[bpf.Missing, ...] = ()
    distance: bool = False  # cadre B: an action in whole or part at a distance in the year
    sources: dict[str, int] = field(default_factory=dict)  # how many invoices, trainees… read

    def total(self, cadre: str, column: str) -> Any:
        """The value of the cadre's « Total » line (C: montant_ht; F: stagiaires, heures)."""
        return next(row[column] for row in self.sections[cadre] if row["ligne"] == "Total")

    @property
    def products_ht(self) -> Decimal:
        value: Decimal = self.total("C", "montant_ht")
        return value

    @property
    def trainee_hours(self) -> Decimal:
        value: Decimal = self.total("F-1", "heures")
        return value


# --- exact units in and out -----------------------------------------------------------------

def _hundredths(hours: Decimal) -> int:
    """Hours in exact hundredths, to add them up in integer columns."""
    return int((hours * 100).to_integral_exact())


def _hours(hundredths: Any) -> Decimal:
    return (Decimal(int(hundredths)) / 100).quantize(CENT)


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


# --- building the draft ---------------------------------------------------------------------

def build_bpf(engine: Engine, year: int) -> BpfDraft:
    """The BPF draft of the calendar year `year` from the database (nothing written)."""
    first, last = _year_bounds(year)
    with unit_of_work(engine) as db:
        invoices = pd.DataFrame(db.execute(
            select(Invoice.number, Invoice.kind, Invoice.funder_kind, Invoice.total_ht)
            .where(Invoice.issue_date >= first, Invoice.issue_date <= last)).all(),
            columns=["number", "kind", "funder_kind", "total_ht"])
        owed = trainer_invoices(db)  # the purchases journal's, one source
        trainees = _trainee_frame(db, year)
    fees = owed[owed["day"].map(lambda day: bpf.in_year(day, year)).astype(bool)]
    fees = fees.rename(columns={"ht": "amount_ht"})
    sections = {
        "C": _products(invoices),
        "D": _charges(fees),
        "E": _people(trainees),
        "F-1": _by_line(trainees, "bpf_status", "F-1", bpf.F1_LINES, bpf.F1_TOTAL),
        "F-2": _zero("F-2", "Formations confiées par votre organisme à un autre organisme de "
                            "formation"),
        "F-3": _objectives(trainees),
        "F-4": _specialties(trainees),
        "G": _zero("G", "Stagiaires dont la formation a été confiée à votre organisme par un "
                        "autre organisme de formation"),
    }
    counted = trainees[trainees["hours"] > 0]
    return BpfDraft(
        year, sections, incomplete=_incomplete(counted),
        distance=bool(counted["modality"].isin(bpf.DISTANCE_MODALITIES).any()),
        sources={"factures et avoirs": len(invoices),
                 "factures de formateurs": len(fees),
                 "stagiaires": len(counted), "sessions": counted["session_ref"].nunique()})


def _trainee_frame(db: Any, year: int) -> pd.DataFrame:
    """One row per trainee of a session with half-days in the year: their attended hours of the
    year (hundredths), the session's delivered hours, status, objective, NSF code, modality."""
    statuses = {(s, t): status for s, t, status in db.execute(
        select(Trainee.session_ref, Trainee.trainee_ref, Trainee.bpf_status))}
    programmes = {p.programme_ref: (p.objective, p.nsf_code) for p in db.scalars(select(Programme))}
    rows = []
    for ref, (facts, extra) in sorted(load_document_facts(db).items()):
        if not any(bpf.in_year(slot.day, year) for slot in facts.slots):
            continue
        objective, nsf_code = programmes[extra["programme_ref"]]
        delivered = _hundredths(bpf.delivered_hours(facts, year))
        for trainee_ref, hours in bpf.hours_in_year(facts, year).items():
            rows.append({
                "session_ref": ref, "trainee_ref": trainee_ref,
                "programme_ref": extra["programme_ref"], "trainer_ref": extra["trainer"].trainer_ref,
                "modality": facts.modality, "bpf_status": statuses.get((ref, trainee_ref)),
                "objective": objective, "nsf_code": nsf_code, "hours": _hundredths(hours),
                "delivered": delivered})
    return pd.DataFrame(rows, columns=[
        "session_ref", "trainee_ref", "programme_ref", "trainer_ref", "modality", "bpf_status",
        "objective", "nsf_code", "hours", "delivered"]).astype({"hours": "int64",
                                                                "delivered": "int64"})


def _money_row(cadre: str, line: bpf.Line, amount: Any, note: str = "") -> Row:
    return {"cadre": cadre, "ligne": line.code, "libelle": line.label,
            "montant_ht": euros(int(amount)) if line.filled else None,
            "remarque": note or ("" if line.filled else TO_COMPLETE)}


def _products(invoices: pd.DataFrame) -> list[Row]:
    """C: the invoices' HT by line, credit notes negative; 2 = a to h; Total = 1 to 11."""
    frame = invoices.assign(
        ligne=invoices["funder_kind"].map(bpf.product_line),
        cents=invoices["total_ht"].map(cents).astype("int64")
        * invoices["kind"].map({"invoice": 1, "credit_note": -1}).astype("int64"))
    by_line = frame.groupby("ligne")["cents"].sum()
    amounts = {line.code: int(by_line.get(line.code, 0)) for line in bpf.C_LINES}
    amounts["2"] = sum(amounts[code] for code in bpf.C_FUNDS_LINES)
    amounts["Total"] = sum(amount for code, amount in amounts.items()
                           if code not in bpf.C_FUNDS_LINES and code not in ("Total", "%"))
    return [_money_row("C", line, amounts[line.code]) for line in bpf.C_LINES]


def _charges(fees: pd.DataFrame) -> list[Row]:
    """D: the external trainers' fees HT (« dont achats de prestation … et honoraires »)."""
    total = int(fees["amount_ht"].map(cents).astype("int64").sum())
    return [_money_row("D", line, total) for line in bpf.D_LINES]


def _people(trainees: pd.DataFrame) -> list[Row]:
    """E: the distinct trainers of the sessions that took place, and the hours they delivered
    (each session's hours once, however many trainees)."""
    sessions = trainees[trainees["delivered"] > 0].drop_duplicates("session_ref")
    internal, external = bpf.E_LINES
    return [
        {"cadre": "E", "ligne": internal.code, "libelle": internal.label, "personnes": None,
         "heures": None, "remarque": TO_COMPLETE},
        {"cadre": "E", "ligne": external.code, "libelle": external.label,
         "personnes": int(sessions["trainer_ref"].nunique()),
         "heures": _hours(sessions["delivered"].sum()), "remarque": ""},
    ]


def _trainee_row(cadre: str, line: bpf.Line, stats: pd.DataFrame, key: str,
                 note: str = "") -> Row:
    present = key in stats.index
    return {"cadre": cadre, "ligne": line.code, "libelle": line.label,
            "stagiaires": int(stats.at[key, "stagiaires"]) if present else 0,
            "heures": _hours(stats.at[key, "heures"] if present else 0), "remarque": note}


def _stats(trainees: pd.DataFrame, column: str) -> pd.DataFrame:
    """Trainees (session, trainee) with hours in the year and their hours, per value of
    `column`; an unknown value under the key bpf.UNKNOWN."""
    counted = trainees[trainees["hours"] > 0]
    return (counted.assign(key=counted[column].fillna(bpf.UNKNOWN))
            .groupby("key").agg(stagiaires=("trainee_ref", "size"), heures=("hours", "sum")))


def _unknown_and_total(cadre: str, stats: pd.DataFrame, total: bpf.Line) -> list[Row]:
    rows = []
    if bpf.UNKNOWN in stats.index:
        rows.append(_trainee_row(cadre, bpf.Line("?", "Non renseigné"), stats, bpf.UNKNOWN,
                                 TO_ASSIGN))
    rows.append({"cadre": cadre, "ligne": total.code, "libelle": total.label,
                 "stagiaires": int(stats["stagiaires"].sum()),
                 "heures": _hours(stats["heures"].sum()),
                 "remarque": "non renseignés compris" if bpf.UNKNOWN in stats.index else ""})
    return rows


def _by_line(trainees: pd.DataFrame, column: str, cadre: str, lines: Mapping[str, bpf.Line],
             total: bpf.Line) -> list[Row]:
    stats = _stats(trainees, column)
    return ([_trainee_row(cadre, line, stats, code) for code, line in lines.items()]
            + _unknown_and_total(cadre, stats, total))


def _objectives(trainees: pd.DataFrame) -> list[Row]:
    """F-3: line a is the sum of its RNCP « dont » lines."""
    stats = _stats(trainees, "objective")
    rncp = [code for code in bpf.F3_LINES if code.startswith("rncp_")]
    in_rncp = stats[stats.index.isin(rncp)]
    line_a = {"cadre": "F-3", "ligne": bpf.F3_RNCP.code, "libelle": bpf.F3_RNCP.label,
              "stagiaires": int(in_rncp["stagiaires"].sum()),
              "heures": _hours(in_rncp["heures"].sum()), "remarque": ""}
    return ([line_a] + [_trainee_row("F-3", line, stats, code)
                        for code, line in bpf.F3_LINES.items()]
            + _unknown_and_total("F-3", stats, bpf.F3_TOTAL))


def _specialties(trainees: pd.DataFrame) -> list[Row]:
    """F-4: the five specialties with the most trainee hours (then trainees, then code), the
    others on one line."""
    stats = _stats(trainees, "nsf_code")
    known = (stats[stats.index != bpf.UNKNOWN].reset_index()
             .sort_values(["heures", "stagiaires", "key"], ascending=[False, False, True]))
    top, others = known.head(bpf.TOP_SPECIALTIES), known.iloc[bpf.TOP_SPECIALTIES:]
    rows = [{"cadre": "F-4", "ligne": str(n), "libelle": f"NSF {code}", "stagiaires": int(count),
             "heures": _hours(hours), "remarque": ""}
            for n, (code, count, hours) in enumerate(
                zip(top["key"], top["stagiaires"], top["heures"], strict=True), 1)]
    rows.append({"cadre": "F-4", "ligne": bpf.F4_OTHERS.code, "libelle": bpf.F4_OTHERS.label,
                 "stagiaires": int(others["stagiaires"].sum()),
                 "heures": _hours(others["heures"].sum()),
                 "remarque": ", ".join(f"NSF {code}" for code in others["key"])})
    return rows + _unknown_and_total("F-4", stats, bpf.F4_TOTAL)


def _zero(cadre: str, label: str) -> list[Row]:
    return [{"cadre": cadre, "ligne": "Total", "libelle": label, "stagiaires": 0,
             "heures": ZERO.quantize(CENT), "remarque": ZERO_BY_DESIGN}]


def _incomplete(counted: pd.DataFrame) -> tuple[bpf.Missing, ...]:
    """The sessions counted in the F cadres whose status, objective or NSF code is unknown."""
    found = []
    for ref, rows in counted.groupby("session_ref", sort=True):
        first = rows.iloc[0]
        missing = bpf.missing_data(
            str(ref), str(first["programme_ref"]),
            objective=None if pd.isna(first["objective"]) else str(first["objective"]),
            nsf_code=None if pd.isna(first["nsf_code"]) else str(first["nsf_code"]),
            trainees_without_status=rows.loc[rows["bpf_status"].isna(), "trainee_ref"])
        if missing is not None:
            found.append(missing)
    return tuple(found)


# --- writing it -----------------------------------------------------------------------------

def write_bpf(engine: Engine, year: int, out_dir: Path) -> tuple[BpfDraft, list[Path]]:
    """The draft of `year` written into out_dir: cadre-<X>.csv per cadre, sessions_incomplete.csv
    and bpf-<year>.pdf; returns the draft and the paths written."""
    draft = build_bpf(engine, year)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [_write_csv(out_dir / f"cadre-{cadre}.csv", COLUMNS[cadre], draft.sections[cadre])
             for cadre in CADRES]
    paths.append(_write_csv(out_dir / "sessions_incomplete.csv", INCOMPLETE_COLUMNS, (
        {"session_ref": m.session_ref, "programme_ref": m.programme_ref, "manque": m.text}
        for m in draft.incomplete)))
    pdf = out_dir / f"bpf-{year}.pdf"
    temporary = pdf.with_suffix(".pdf.tmp")
    temporary.write_bytes(render_bpf_pdf(draft))
    temporary.replace(pdf)
    paths.append(pdf)
    return draft, paths


def render_bpf_pdf(draft: BpfDraft) -> bytes:
    """The draft laid out like the form: its cadres, their letters, lines and labels."""
    first, last = _year_bounds(draft.year)
    return html_to_pdf(render_html("bpf", {
        "draft": draft, "cerfa": bpf.CERFA, "mark": bpf.DRAFT_MARK, "titles": TITLES,
        "notice": bpf.NOTICE_URL, "first": format_date_fr(first), "last": format_date_fr(last),
        "to_complete": TO_COMPLETE}))


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Row]) -> Path:
    temporary = path.with_suffix(".csv.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row[c] is None else str(row[c]) for c in columns])
    temporary.replace(path)
    return path
