"""The books from the ledger: the sales, bank and purchases journals, closed periods, the FEC
(docs/accounting.md).

The ledger is read once (invoices, statement lines, allocations, payouts, trainers' invoices)
into pandas frames, amounts in integer cents; each journal's lines are built from the frames by
applying the postings of the core (`backoffice/accounting.py: POSTINGS`) to whole columns, the
rest of a bank line by a group-by. The core then balances, numbers, letters and closes; the FEC
is written by `backoffice/fec.py` and checked against its rules before it is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session as OrmSession

from adapters.audit import record_decision
from adapters.database import unit_of_work
from adapters.models import (
    AccountingPeriod,
    Allocation,
    AuditEntry,
    BankLine,
    Invoice,
    JournalLine,
    LegacyInvoice,
    Payout,
    SelfBilledInvoice,
    Session,
    Trainer,
    TrainerInvoice,
)
from adapters.numbering import lock_series
from adapters.reference_data import DATA, read_rows
from backoffice.accounting import (
    BANK,
    CLIENT_AUX,
    OPCO_AUX,
    POSTINGS,
    PURCHASES,
    SALES,
    TRAINER_AUX,
    Chart,
    Entry,
    Line,
    bank_rest_role,
    chart_from_rows,
    corrections,
    legacy_aux,
    lettering,
    number_entries,
    unbalanced,
)
from backoffice.dates import business_date
from backoffice.fec import ENCODING, check_fec, fec_rows, fec_text, file_name
from backoffice.money import cents, euros
from backoffice.payouts import invoice_matches_fee

CHART_FILE = DATA / "accounts.csv"
BOOKS_LOCK = "BOOKS"  # the number-series row a closing locks
LINE_COLUMNS = ["journal", "event", "day", "piece_ref", "piece_date", "label", "role", "amount",
                "aux", "aux_label", "key"]


class AccountingError(ValueError):
    """A request the books refuse (French message)."""


def load_chart(path: Path = CHART_FILE) -> Chart:
    """The chart of accounts of `data/accounts.csv` (the accountant's to change)."""
    return chart_from_rows(row for _, row in read_rows(path))


# --- reading the ledger --------------------------------------------------------------------------

def _frame(db: OrmSession, statement: Any, columns: list[str]) -> Any:
    """A query's rows as a frame of Python values (Decimal amounts stay exact objects)."""
    rows = [tuple(row) for row in db.execute(statement)]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def _in_cents(frame: Any, *columns: str) -> Any:
    for column in columns:
        frame[column] = frame[column].map(cents).astype("int64")
    return frame


def _customer_aux(kind: Any, ref: Any) -> Any:
    return kind.map({"opco": OPCO_AUX}).fillna(CLIENT_AUX) + ref


def _postings(documents: Any, kind: str, aux_role: str) -> Any:
    """The lines of every document of a kind: each posting of the core applied to the whole
    frame (a zero amount posts no line); the auxiliary account and key on `aux_role` only."""
    parts = []
    for role, sign, amount in POSTINGS[kind]:
        part = documents.assign(role=role, amount=documents[amount] * sign)
        on_aux = part["role"] == aux_role
        part["aux"] = part["aux"].where(on_aux, "")
        part["aux_label"] = part["aux_label"].where(on_aux, "")
        part["key"] = part["key"].where(on_aux, "")
        parts.append(part[LINE_COLUMNS])
    lines = pd.concat(parts, ignore_index=True)
    return lines[lines["amount"] != 0]


def sales_lines(db: OrmSession) -> Any:
    """The sales journal: each invoice debits the funder's 411 account TTC and credits 706 HT
    and the VAT; a credit note the reverse, lettered with the invoice it cancels."""
    docs = _in_cents(_frame(db, select(
        Invoice.number, Invoice.kind, Invoice.funder_kind, Invoice.funder_ref,
        Invoice.funder_name, Invoice.issue_date, Invoice.total_ht, Invoice.total_vat,
        Invoice.total_ttc, Invoice.credit_note_of, Invoice.session_ref).order_by(Invoice.number),
        ["number", "kind", "funder_kind", "funder_ref", "funder_name", "day", "ht", "vat", "ttc",
         "credit_note_of", "session_ref"]), "ht", "vat", "ttc")
    if docs.empty:
        return pd.DataFrame(columns=LINE_COLUMNS)
    is_note = docs["kind"] == "credit_note"
    docs = docs.assign(
        journal=SALES, event="invoice:" + docs["number"], piece_ref=docs["number"],
        piece_date=docs["day"], aux=_customer_aux(docs["funder_kind"], docs["funder_ref"]),
        aux_label=docs["funder_name"],
        key=docs["credit_note_of"].where(is_note, docs["number"]).fillna(docs["number"]),
        label=("Facture " + docs["number"]).where(~is_note, "Avoir " + docs["number"] + " sur "
                                                  + docs["credit_note_of"].fillna(""))
        + " session " + docs["session_ref"] + " " + docs["funder_name"])
    return pd.concat([_postings(docs[~is_note], "invoice", "customers"),
                      _postings(docs[is_note], "credit_note", "customers")], ignore_index=True)


def trainer_invoices(db: OrmSession) -> Any:
    """The trainers' invoices the marketplace owes: each received invoice that charges its
    session's fee (backoffice.payouts.invoice_matches_fee; another waits in review and is no
    charge) on the day it was received (Paris), and each invoice self-billed in a trainer's name
    on its issue date, paid yet or not. Columns: trainer_ref, number, session_ref, day, ht, vat,
    ttc (Decimal), self_billed. One source for the purchases journal and the BPF's cadre D."""
    received = _frame(db, select(TrainerInvoice.trainer_ref, TrainerInvoice.number,
                                 TrainerInvoice.session_ref, TrainerInvoice.received_at,
                                 TrainerInvoice.amount_ht, TrainerInvoice.vat,
                                 TrainerInvoice.amount_ttc, Session.trainer_fee_ht,
                                 Trainer.vat_regime)
                      .join(Session, Session.session_ref == TrainerInvoice.session_ref)
                      .join(Trainer, Trainer.trainer_ref == TrainerInvoice.trainer_ref),
                      ["trainer_ref", "number", "session_ref", "received_at", "ht", "vat", "ttc",
                       "fee_ht", "vat_regime"])
    accepted = [invoice_matches_fee(*row) for row in
                received[["ht", "vat", "fee_ht", "vat_regime"]].itertuples(index=False)]
    received = received[pd.Series(accepted, index=received.index, dtype=bool)]
    received = received.assign(day=received["received_at"].map(business_date), self_billed=False)
    self_billed = _frame(db, select(SelfBilledInvoice.trainer_ref, SelfBilledInvoice.number,
                                    SelfBilledInvoice.session_ref, SelfBilledInvoice.issue_date,
                                    SelfBilledInvoice.amount_ht, SelfBilledInvoice.vat,
                                    SelfBilledInvoice.amount_ttc),
                         ["trainer_ref", "number", "session_ref", "day", "ht", "vat", "ttc"])
    self_billed["self_billed"] = True
    columns = ["trainer_ref", "number", "session_ref", "day", "ht", "vat", "ttc", "self_billed"]
    return pd.concat([received[columns], self_billed[columns]], ignore_index=True)


def purchase_lines(db: OrmSession) -> Any:
    """The purchases journal: each trainer's invoice owed (`trainer_invoices`), a charge of the
    day it was received or self-billed: 604 HT and 44566 VAT against the trainer's 401."""
    docs = trainer_invoices(db)
    if docs.empty:
        return pd.DataFrame(columns=LINE_COLUMNS)
    docs = _in_cents(docs.merge(_trainers(db), on="trainer_ref", how="left"), "ht", "vat", "ttc")
    kind = docs["self_billed"].map({True: "Autofacture ", False: "Facture formateur "})
    docs = docs.assign(
        journal=PURCHASES, event="purchase:" + docs["trainer_ref"] + ":" + docs["number"],
        piece_ref=docs["number"], piece_date=docs["day"], aux=TRAINER_AUX + docs["trainer_ref"],
        aux_label=docs["trainer_name"], key=docs["number"],
        label=kind + docs["number"] + " session " + docs["session_ref"] + " "
        + docs["trainer_name"])
    return _postings(docs, "purchase", "suppliers")


def _trainers(db: OrmSession) -> Any:
    trainers = _frame(db, select(Trainer.trainer_ref, Trainer.first_name, Trainer.last_name),
                      ["trainer_ref", "first_name", "last_name"])
    trainers["trainer_name"] = trainers["first_name"] + " " + trainers["last_name"]
    return trainers[["trainer_ref", "trainer_name"]]


def bank_lines(db: OrmSession) -> Any:
    """The bank journal: one entry per statement line (a probable duplicate of a line read from
    another format excepted), 512 for its amount, against what explains it: the invoices its
    allocations paid (411), the reopened invoices of a reversal (411), the payouts it executed
    or that came back (401), and the rest on 627 (a bank fee) or 471 (not explained yet)."""
    lines = _in_cents(_frame(db, select(
        BankLine.id, BankLine.booking_date, BankLine.amount, BankLine.label,
        BankLine.classification, BankLine.bank_id).where(BankLine.duplicate_of.is_(None))
        .order_by(BankLine.booking_date, BankLine.id),
        ["line_id", "day", "amount", "text", "classification", "bank_id"]), "amount")
    if lines.empty:
        return pd.DataFrame(columns=LINE_COLUMNS)
    customers = _customers(db)
    # applied (or applied then reversed): what the credit paid when it was booked
    paid = _frame(db, select(Allocation.line_id, Allocation.invoice_number, Allocation.amount)
                  .where(Allocation.state.in_(("applied", "reversed"))),
                  ["line_id", "key", "amount"])
    paid = _in_cents(paid, "amount").assign(role="customers")
    paid["amount"] = -paid["amount"]
    reopened = _reopened(db).assign(role="customers")
    payouts = _frame(db, select(Payout.id, Payout.trainer_ref, Payout.amount,
                                Payout.trainer_invoice, Payout.executed_line_id,
                                Payout.returned_line_id),
                     ["payout_id", "trainer_ref", "amount", "key", "executed", "returned"])
    payouts = _in_cents(payouts, "amount").merge(_trainers(db), on="trainer_ref", how="left")
    payouts = payouts.assign(role="suppliers", aux=TRAINER_AUX + payouts["trainer_ref"],
                             aux_label=payouts["trainer_name"])
    executed = payouts[payouts["executed"].notna()].assign(line_id=lambda f: f["executed"])
    returned = payouts[payouts["returned"].notna()].assign(
        line_id=lambda f: f["returned"], amount=lambda f: -f["amount"])
    on_customers = pd.concat([paid, reopened], ignore_index=True).merge(
        customers, on="key", how="left")
    counterparts = pd.concat([on_customers, executed, returned], ignore_index=True)[
        ["line_id", "role", "amount", "aux", "aux_label", "key"]]
    counterparts["line_id"] = counterparts["line_id"].astype("int64")
    counterparts = counterparts[counterparts["line_id"].isin(lines["line_id"])]
    explained = counterparts.groupby("line_id")["amount"].sum()
    lines["rest"] = -(lines["amount"] + lines["line_id"].map(explained).fillna(0).astype("int64"))
    roles = {c: bank_rest_role(c) for c in lines["classification"].unique()}
    rest = lines[lines["rest"] != 0].assign(role=lambda f: f["classification"].map(roles),
                                            amount=lambda f: f["rest"], aux="", aux_label="",
                                            key="")
    bank = lines.assign(role="bank", aux="", aux_label="", key="")
    all_lines = pd.concat([bank[counterparts.columns], counterparts, rest[counterparts.columns]],
                          ignore_index=True)
    header = lines.assign(
        journal=BANK, event="bank:" + lines["line_id"].map("{:09d}".format),
        piece_ref=lines["bank_id"].where(lines["bank_id"] != "",
                                         "RLV-" + lines["line_id"].astype(str)),
        piece_date=lines["day"],
        label=lines["text"].where(lines["text"] != "", lines["classification"]).str.slice(0, 120))
    result = all_lines.merge(header[["line_id", "journal", "event", "day", "piece_ref",
                                     "piece_date", "label"]], on="line_id")
    result[["aux", "aux_label", "key"]] = result[["aux", "aux_label", "key"]].fillna("")
    return result[LINE_COLUMNS]


def _customers(db: OrmSession) -> Any:
    """Each invoice number's funder auxiliary account: ours, then the previous tool's."""
    ours = _frame(db, select(Invoice.number, Invoice.funder_kind, Invoice.funder_ref,
                             Invoice.funder_name), ["key", "kind", "ref", "aux_label"])
    ours["aux"] = _customer_aux(ours["kind"], ours["ref"])
    legacy = _frame(db, select(LegacyInvoice.number, LegacyInvoice.funder_name),
                    ["key", "aux_label"])
    legacy["aux"] = legacy["aux_label"].map(legacy_aux)
    return pd.concat([ours[["key", "aux", "aux_label"]], legacy[["key", "aux", "aux_label"]]],
                     ignore_index=True).drop_duplicates("key")


def _reopened(db: OrmSession) -> Any:
    """What each reversal debit reopened (audit `payment.reversed`): invoice and amount."""
    reversals = _frame(db, select(AuditEntry.subject, AuditEntry.inputs).where(
        AuditEntry.action == "payment.reversed"), ["line_id", "inputs"])
    reversals["pair"] = reversals["inputs"].map(lambda inputs: inputs.get("reopened") or [])
    pairs = reversals.explode("pair").dropna(subset=["pair"])
    return pd.DataFrame({
        "line_id": pairs["line_id"].astype("int64"),
        "key": pairs["pair"].map(lambda pair: pair[0]),
        "amount": pairs["pair"].map(lambda pair: cents(Decimal(pair[1]))).astype("int64")},
        columns=["line_id", "key", "amount"])


def journal_lines(db: OrmSession) -> Any:
    """Every line the ledger asks for, the three journals together (roles, not accounts)."""
    frames = [frame for frame in (sales_lines(db), bank_lines(db), purchase_lines(db))
              if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=LINE_COLUMNS)
    lines = pd.concat(frames, ignore_index=True)
    lines["amount"] = lines["amount"].astype("int64")
    return lines


def ledger_entries(db: OrmSession, chart: Chart) -> list[Entry]:
    """The entries the ledger asks for, one per event, on the chart's accounts."""
    lines = journal_lines(db)
    accounts = {role: chart[role] for role in lines["role"].unique()}
    entries = []
    for event, group in lines.groupby("event", sort=False):
        first = group.iloc[0]
        entries.append(Entry(
            first["journal"], str(event), first["day"], first["piece_ref"], first["piece_date"],
            first["label"], tuple(
                Line(accounts[role].number, accounts[role].label, int(amount), aux, aux_label,
                     key)
                for role, amount, aux, aux_label, key in zip(
                    group["role"], group["amount"], group["aux"], group["aux_label"],
                    group["key"], strict=True))))
    return entries


# --- closed periods ----------------------------------------------------------------------------

def closed_through(db: OrmSession) -> date | None:
    value: date | None = db.scalar(select(func.max(AccountingPeriod.closed_through)))
    return value


def posted_entries(db: OrmSession) -> list[Entry]:
    """The entries of the closed periods, as they were stored: final."""
    rows = db.scalars(select(JournalLine).order_by(JournalLine.journal, JournalLine.year,
                                                   JournalLine.number, JournalLine.line))
    grouped: dict[tuple[str, int, str], list[JournalLine]] = {}
    for row in rows:
        grouped.setdefault((row.journal, row.year, row.number), []).append(row)
    return [Entry(first.journal, first.event, first.entry_date, first.piece_ref,
                  first.piece_date, first.label,
                  tuple(Line(r.account, r.account_label, cents(r.debit) - cents(r.credit),
                             r.aux, r.aux_label, r.key) for r in members),
                  number=first.number, valid_date=first.valid_date)
            for members in grouped.values() for first in members[:1]]


@dataclass(frozen=True, slots=True)
class Books:
    """Every entry, numbered: those of the closed periods as stored, then the open ones."""

    entries: list[Entry]
    closed_through: date | None


def books(db: OrmSession, chart: Chart) -> Books:
    posted = posted_entries(db)
    through = closed_through(db)
    fresh = corrections(ledger_entries(db, chart), posted, through)
    entries = number_entries([*posted, *fresh])
    wrong = unbalanced(entries)
    if wrong:  # never: each entry's rest goes to an account
        raise AccountingError(f"écritures déséquilibrées : {', '.join(e.event for e in wrong)}")
    return Books(entries, through)


@dataclass(frozen=True, slots=True)
class PeriodClosed:
    closed_through: date
    entries: int
    previous: date | None


def close_period(engine: Engine, *, through: date, as_of: date, operator: str, now: datetime,
                 chart: Chart | None = None) -> PeriodClosed:
    """Close the books up to `through`, included: every entry dated up to then is stored with its
    number and never changes; audit-logged. Only a past day, after the last closing."""
    chart = chart or load_chart()
    if through >= as_of:
        raise AccountingError(f"clôture jusqu'au {through:%d/%m/%Y} refusée : seule une période "
                              f"passée se clôt (date métier {as_of:%d/%m/%Y})")
    with unit_of_work(engine) as db:
        lock_series(db, BOOKS_LOCK, date(2000, 1, 1))  # one closing at a time
        current = closed_through(db)
        if current is not None and through <= current:
            raise AccountingError(f"période déjà close jusqu'au {current:%d/%m/%Y}")
        book = books(db, chart)
        closing = [entry for entry in book.entries if not entry.valid_date
                   and entry.day <= through]
        period = AccountingPeriod(closed_through=through, closed_on=as_of, closed_at=now,
                                  closed_by=operator, entries=len(closing))
        db.add(period)
        db.flush()
        db.add_all(JournalLine(
            period_id=period.id, journal=entry.journal, year=entry.day.year, number=entry.number,
            line=index, event=entry.event, entry_date=entry.day, piece_ref=entry.piece_ref[:200],
            piece_date=entry.piece_date, label=entry.label[:200], account=line.account,
            account_label=line.account_label, aux=line.aux, aux_label=line.aux_label[:200],
            key=line.key, debit=euros(max(line.amount, 0)), credit=euros(max(-line.amount, 0)),
            valid_date=as_of)
            for entry in closing for index, line in enumerate(entry.lines))
        record_decision(db, actor=operator, action="accounting.period_closed",
                        subject=through.isoformat(),
                        reason=f"période close jusqu'au {through:%d/%m/%Y} : {len(closing)} "
                               "écriture(s) définitive(s)",
                        inputs={"previous": current.isoformat() if current else None,
                                "entries": len(closing)}, at=now)
    return PeriodClosed(through, len(closing), current)


# --- the FEC -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FecWritten:
    path: Path
    year: int
    entries: int
    lines: int
    debit: Decimal
    credit: Decimal
    per_journal: dict[str, int] = field(default_factory=dict)
    closed_through: date | None = None


def fec_entries(engine: Engine, year: int, chart: Chart | None = None) -> tuple[list[Entry], date | None]:
    """The numbered entries of a calendar year, in date order."""
    chart = chart or load_chart()
    with unit_of_work(engine) as db:
        book = books(db, chart)
    return [entry for entry in book.entries if entry.day.year == year], book.closed_through


def fec_content(entries: Sequence[Entry], as_of: date) -> str:
    """The FEC's text of these entries, lettered among themselves; ValidDate is the day an
    entry's period closed, else the business date of the file."""
    lettered = lettering(
        ((entry.number, index), line.account, line.aux, line.key, line.amount, entry.day)
        for entry in entries for index, line in enumerate(entry.lines))
    return fec_text(fec_rows(entries, lettered, as_of))


def write_fec(engine: Engine, *, year: int, out_dir: Path, siren: str, as_of: date,
              chart: Chart | None = None) -> FecWritten:
    """Write `<SIREN>FEC<YYYY1231>.txt` of the calendar year into `out_dir`, after checking it
    against the FEC's rules (nothing is written when it breaks one)."""
    entries, through = fec_entries(engine, year, chart)
    text = fec_content(entries, as_of)
    name = file_name(siren, date(year, 12, 31))
    problems = check_fec(text, name)
    if problems:
        raise AccountingError("FEC non conforme : " + " ; ".join(problems[:10]))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    path.write_bytes(text.encode(ENCODING))
    debit = sum((line.amount for e in entries for line in e.lines if line.amount > 0), 0)
    credit = -sum((line.amount for e in entries for line in e.lines if line.amount < 0), 0)
    per_journal: dict[str, int] = {}
    for entry in entries:
        per_journal[entry.journal] = per_journal.get(entry.journal, 0) + 1
    return FecWritten(path, year, len(entries), sum(len(e.lines) for e in entries),
                      euros(debit), euros(credit), per_journal, through)


def account_balances(entries: Iterable[Entry], account: str) -> dict[tuple[str, str], int]:
    """What each (aux, key) of an account sums to, in cents (debit positive)."""
    frame = pd.DataFrame(
        [(line.aux, line.key, line.amount) for entry in entries for line in entry.lines
         if line.account == account], columns=["aux", "key", "amount"])
    if frame.empty:
        return {}
    sums = frame.groupby(["aux", "key"])["amount"].sum()
    return {(str(aux), str(key)): int(amount) for (aux, key), amount in sums.items()}
