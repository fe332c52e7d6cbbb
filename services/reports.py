"""CSV snapshots of the state for people and tools (`backoffice report --out DIR`).

UTF-8, comma, one header row, rows sorted by their reference, so two snapshots can be diffed.
The columns of every file are documented in docs/reports.md. The aged receivables are as of a
business date (`as_of`), aggregated by services/receivables.py; the nightly's summary shows them
too (`aged_receivables`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from adapters import clock
from adapters.database import unit_of_work
from adapters.models import (
    Allocation,
    BankLine,
    Client,
    Completion,
    DocumentFile,
    DocumentSet,
    Effect,
    Invoice,
    Payout,
    Pec,
    PecState,
    Programme,
    ReviewItem,
    Session,
    SessionFunding,
    StatementFile,
    Trainee,
)
from backoffice.dates import PARIS, business_date
from backoffice.masking import mask_iban
from backoffice.money import euros
from backoffice.outcomes import ReceivablesAged
from backoffice.receivables import DSO_PERIOD_DAYS
from backoffice.sessions import session_status
from services.receivables import aged, open_amounts, read_invoices

SESSION_COLUMNS = ("session_ref", "status", "programme_ref", "title", "client_ref", "client_name",
                   "trainer_ref", "start_date", "end_date", "hours_per_trainee", "trainees",
                   "modality", "funding", "price_ht", "trainer_fee_ht", "validated_at",
                   "cancelled_at", "completed_at")
FUNDING_COLUMNS = ("funding_status", "pec_ref", "opco", "dossier_number", "opco_share",
                   "reste_a_charge", "green_light_on", "switched_on", "estimated_opco_share",
                   "estimated_reste_a_charge", "estimate_basis")
PEC_EXPORT_COLUMNS = ("pec_ref", "session_ref", "opco", "dossier_number", "client_siret", "title",
                      "start_date", "end_date", "hours", "amount_granted_ht", "subrogation",
                      "received_at")
PEC_COLUMNS = (*PEC_EXPORT_COLUMNS, "status", "attached_session_ref", "problems", "proposals",
               "reste_a_charge", "superseded_by", "decided_by", "note", "decided_on")
EMAIL_COLUMNS = ("key", "state", "attempts", "to", "cc", "subject", "created_at", "done_at",
                 "last_error")
INVOICE_COLUMNS = ("number", "kind", "session_ref", "funder", "funder_kind", "funder_ref",
                   "invoice_key", "dossier_number", "total_ht", "total_vat", "total_ttc",
                   "issue_date", "due_date", "status", "paid", "residual", "credit_note_of",
                   "pdf_path", "sha256")
STATEMENT_LINE_COLUMNS = ("line_id", "file", "line", "bank_id", "account", "booking_date",
                          "value_date", "amount", "label", "reference", "counterparty",
                          "counterparty_account", "classification", "reversal", "charges",
                          "duplicate_of", "applied", "unapplied")
ALLOCATION_COLUMNS = ("line_id", "invoice_number", "amount", "state", "score", "method",
                      "decided_by", "created_at")
DOCUMENT_COLUMNS = ("session_ref", "documents", "version", "file", "path", "sha256", "issued_on",
                    "explanation", "emails")
PAYOUT_COLUMNS = ("payout_id", "session_ref", "trainer_ref", "amount", "status", "batch",
                  "execution_date", "executed_date", "trainer_invoice")
AGE_COLUMNS = ("not_yet_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90")  # BUCKETS
RECEIVABLE_COLUMNS = ("funder_kind", "funder_ref", "funder", "as_of", "invoices", *AGE_COLUMNS,
                      "open", "overdue", "oldest_days_late", f"sales_{DSO_PERIOD_DAYS}_days",
                      "dso_days")
REVIEW_COLUMNS = ("key", "kind", "subject", "status", "reasons", "created_at", "resolved_at",
                  "resolution")


def write_report(engine: Engine, out_dir: Path, as_of: date | None = None) -> list[Path]:
    """Write every snapshot file into out_dir; returns their paths. The receivables are aged as
    of the business date `as_of` (by default today's in Paris, from the project's clock)."""
    as_of = as_of if as_of is not None else business_date(clock.now())
    out_dir.mkdir(parents=True, exist_ok=True)
    with unit_of_work(engine) as db:
        files = {
            "sessions.csv": ((*SESSION_COLUMNS, *FUNDING_COLUMNS), _session_rows(db)),
            "pecs.csv": (PEC_COLUMNS, _pec_rows(db)),
            "emails.csv": (EMAIL_COLUMNS, _email_rows(db)),
            "documents.csv": (DOCUMENT_COLUMNS, _document_rows(db)),
            "invoices.csv": (INVOICE_COLUMNS, _invoice_rows(db)),
            "statement_lines.csv": (STATEMENT_LINE_COLUMNS, _statement_line_rows(db)),
            "allocations.csv": (ALLOCATION_COLUMNS, _allocation_rows(db)),
            "payouts.csv": (PAYOUT_COLUMNS, _payout_rows(db)),
            "receivables.csv": (RECEIVABLE_COLUMNS, _receivable_rows(aged(db, as_of))),
            "review_queue.csv": (REVIEW_COLUMNS, _review_rows(db)),
        }
    return [_write_csv(out_dir / name, columns, rows) for name, (columns, rows) in files.items()]


def _session_rows(db: Any) -> list[dict[str, Any]]:
    trainee_counts = dict(db.execute(
        select(Trainee.session_ref, func.count()).group_by(Trainee.session_ref)).all())
    statement = (
        select(Session, Programme.title, Client.name, Completion.declared_at, SessionFunding)
        .join(Programme, Programme.programme_ref == Session.programme_ref)
        .join(Client, Client.client_ref == Session.client_ref)
        .outerjoin(Completion, Completion.session_ref == Session.session_ref)
        .outerjoin(SessionFunding, SessionFunding.session_ref == Session.session_ref)
        .order_by(Session.session_ref)
    )
    rows = []
    for session, title, client_name, completed_at, funding in db.execute(statement):
        funding_values = {c: getattr(funding, c) if funding else None
                          for c in FUNDING_COLUMNS if c != "funding_status"}
        rows.append({**funding_values, "funding_status": funding.status if funding else None,
            "session_ref": session.session_ref,
            "status": session_status(session.validated_at, session.cancelled_at,
                                     completed_at is not None),
            "programme_ref": session.programme_ref, "title": title,
            "client_ref": session.client_ref, "client_name": client_name,
            "trainer_ref": session.trainer_ref, "start_date": session.start_date,
            "end_date": session.end_date, "hours_per_trainee": session.hours_per_trainee,
            "trainees": trainee_counts.get(session.session_ref, 0),
            "modality": session.modality, "funding": session.funding,
            "price_ht": session.price_ht, "trainer_fee_ht": session.trainer_fee_ht,
            "validated_at": session.validated_at, "cancelled_at": session.cancelled_at,
            "completed_at": completed_at,
        })
    return rows


def _pec_rows(db: Any) -> list[dict[str, Any]]:
    rows = []
    statement = (select(Pec, PecState).outerjoin(PecState, PecState.pec_ref == Pec.pec_ref)
                 .order_by(Pec.pec_ref))
    for pec, state in db.execute(statement):
        row = {c: getattr(pec, c) for c in PEC_EXPORT_COLUMNS}
        if state is not None:
            row |= {"status": state.status, "attached_session_ref": state.session_ref,
                    "problems": " | ".join(p["message"] for p in state.problems),
                    "proposals": ";".join(state.proposals), "reste_a_charge": state.reste_a_charge,
                    "superseded_by": state.superseded_by, "decided_by": state.decided_by,
                    "note": state.note, "decided_on": state.decided_on}
        rows.append({c: row.get(c) for c in PEC_COLUMNS})
    return rows


def _email_rows(db: Any) -> list[dict[str, Any]]:
    rows = []
    for effect in db.scalars(select(Effect).where(Effect.kind == "email")
                             .order_by(Effect.idempotency_key)):
        payload = effect.payload
        rows.append({
            "key": effect.idempotency_key, "state": effect.state, "attempts": effect.attempts,
            "to": ";".join(payload.get("to", [])), "cc": ";".join(payload.get("cc", [])),
            "subject": payload.get("subject", ""), "created_at": effect.created_at,
            "done_at": effect.done_at, "last_error": effect.last_error,
        })
    return rows


def _invoice_rows(db: Any) -> list[dict[str, Any]]:
    invoices = open_amounts(read_invoices(db))
    residuals = dict(zip(invoices["number"], invoices["open"], strict=True))  # in cents
    rows = []
    for i in db.scalars(select(Invoice).order_by(Invoice.number)):
        residual = euros(int(residuals[i.number])) if i.kind == "invoice" else None
        rows.append({"number": i.number, "kind": i.kind, "session_ref": i.session_ref,
                     "funder": i.funder_name, "funder_kind": i.funder_kind,
                     "funder_ref": i.funder_ref, "invoice_key": i.invoice_key,
                     "dossier_number": i.dossier_number, "total_ht": i.total_ht,
                     "total_vat": i.total_vat, "total_ttc": i.total_ttc,
                     "issue_date": i.issue_date, "due_date": i.due_date, "status": i.status,
                     "paid": i.paid_amount, "residual": residual,
                     "credit_note_of": i.credit_note_of, "pdf_path": i.pdf_path,
                     "sha256": i.sha256})
    return rows


def _statement_line_rows(db: Any) -> list[dict[str, Any]]:
    applied: dict[int, Any] = {}
    for line_id, amount in db.execute(select(Allocation.line_id, Allocation.amount)
                                      .where(Allocation.state == "applied")):
        applied[line_id] = applied.get(line_id, 0) + amount
    statement = (select(BankLine, StatementFile.name)
                 .join(StatementFile, StatementFile.id == BankLine.file_id)
                 .order_by(BankLine.booking_date, BankLine.id))
    rows = []
    for line, name in db.execute(statement):
        done = applied.get(line.id)
        rows.append({"line_id": line.id, "file": name, "line": line.line,
                     "bank_id": line.bank_id, "account": line.account,
                     "booking_date": line.booking_date, "value_date": line.value_date,
                     "amount": line.amount, "label": line.label, "reference": line.reference,
                     "counterparty": line.counterparty,
                     "counterparty_account": mask_iban(line.counterparty_iban)
                     if line.counterparty_iban else "",
                     "classification": line.classification,
                     "reversal": "oui" if line.reversal else "", "charges": line.charges,
                     "duplicate_of": line.duplicate_of,
                     "applied": done, "unapplied": line.amount - done if done else None})
    return rows


def _allocation_rows(db: Any) -> list[dict[str, Any]]:
    return [{c: getattr(a, c) for c in ALLOCATION_COLUMNS if c != "invoice_number"}
            | {"invoice_number": a.invoice_number}
            for a in db.scalars(select(Allocation).order_by(Allocation.line_id, Allocation.id))]


def _document_rows(db: Any) -> list[dict[str, Any]]:
    statement = (select(DocumentFile, DocumentSet).join(DocumentSet, (
        DocumentSet.session_ref == DocumentFile.session_ref) & (
        DocumentSet.kind == DocumentFile.kind) & (DocumentSet.version == DocumentFile.version))
        .order_by(DocumentFile.session_ref, DocumentFile.kind, DocumentFile.version,
                  DocumentFile.name))
    return [{"session_ref": f.session_ref, "documents": f.kind, "version": f.version,
             "file": f.name, "path": f.path, "sha256": f.sha256, "issued_on": s.issued_on,
             "explanation": s.explanation, "emails": ";".join(s.email_keys)}
            for f, s in db.execute(statement)]


def _payout_rows(db: Any) -> list[dict[str, Any]]:
    return [{"payout_id": p.id, "session_ref": p.session_ref, "trainer_ref": p.trainer_ref,
             "amount": p.amount, "status": p.status, "batch": p.batch_id,
             "execution_date": p.execution_date, "executed_date": p.executed_on,
             "trainer_invoice": p.trainer_invoice}
            for p in db.scalars(select(Payout).order_by(Payout.id))]


def aged_receivables(engine: Engine, *, as_of: date) -> ReceivablesAged:
    """What the funders owe as of the business date, by age, and what to chase first
    (services/receivables.py)."""
    with unit_of_work(engine) as db:
        return aged(db, as_of)


def _receivable_rows(receivables: ReceivablesAged) -> list[dict[str, Any]]:
    rows = []
    for b in receivables.balances:
        rows.append({"funder_kind": b.funder_kind, "funder_ref": b.funder_ref,
                     "funder": b.funder_name, "as_of": receivables.as_of,
                     "invoices": b.invoices,
                     **dict(zip(AGE_COLUMNS, b.buckets, strict=True)),
                     "open": b.open, "overdue": b.overdue,
                     "oldest_days_late": b.oldest_days_late,
                     f"sales_{DSO_PERIOD_DAYS}_days": b.sales, "dso_days": b.dso_days})
    return rows


def _review_rows(db: Any) -> list[dict[str, Any]]:
    return [{
        "key": item.key, "kind": item.kind, "subject": item.subject, "status": item.status,
        "reasons": " | ".join(item.reasons), "created_at": item.created_at,
        "resolved_at": item.resolved_at, "resolution": item.resolution,
    } for item in db.scalars(select(ReviewItem).order_by(ReviewItem.key))]


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> Path:
    temporary = path.with_suffix(".csv.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row[c]) for c in columns])
    temporary.replace(path)
    return path


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(PARIS).isoformat(timespec="seconds")
    return str(value)  # dates ISO, Decimal with its two decimals
