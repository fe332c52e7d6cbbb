"""Bank statement files into the database: never twice, never half, never lost.

A file already imported (same SHA-256) is a no-op. A file no profile recognises, or with one
row that cannot be read, is rejected whole: moved to the rejected folder with a report naming
line, column and value, nothing applied. Otherwise its lines are stored once per account and
fingerprint (an overlapping export adds only its new lines; two identical real lines of one day
are both kept by their occurrence index), a probable duplicate from another format of the same
account (CSV vs camt) is flagged, not dropped; then the file is archived.

The inbox is listed with `adapters.files.files_in_folder(inbox)`: its regular files sorted by
name, dot-files skipped, and the entries it refuses (a symlink resolving outside the inbox, a
name that is not a plain file name, a FIFO…) reported with their reason, never read. An inbox
file (`move_files=True`) is checked again just before it is read (`file_in_folder`): one that now
leads outside its folder is rejected unread (the link itself moved to the rejected folder). Files
an operator names on the command line are read where they are.
"""

from __future__ import annotations

import gc
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session as OrmSession

from adapters.bank_files import ParsedStatement, read_statement
from adapters.database import insert_rows, unit_of_work
from adapters.files import UnsafePathError, file_in_folder
from adapters.models import BankLine, StatementFile
from adapters.numbering import lock_series
from backoffice.dates import business_date
from backoffice.export_format import RowError
from backoffice.matching import classify
from backoffice.outcomes import StatementImported
from backoffice.statements import fingerprints


def import_statement_files(engine: Engine, paths: list[Path], *, archive_dir: Path,
                           rejected_dir: Path, own_ibans: set[str], now: datetime,
                           account: str = "", move_files: bool = False) -> list[StatementImported]:
    """Import each file in turn (sorted by name), each in its own transaction.

    With `move_files` (the inbox), each file is moved to the archive or rejected folder once
    processed; otherwise (files an operator named) they stay put, a rejected one is copied."""
    return [import_statement_file(engine, path, archive_dir=archive_dir,
                                  rejected_dir=rejected_dir, own_ibans=own_ibans, now=now,
                                  account=account, move_files=move_files)
            for path in sorted(paths, key=lambda p: p.name)]


def import_statement_file(engine: Engine, path: Path, *, archive_dir: Path, rejected_dir: Path,
                          own_ibans: set[str], now: datetime, account: str = "",
                          move_files: bool = False) -> StatementImported:
    refused = _outside_its_folder(path) if move_files else None  # an inbox file
    if refused:
        return _reject(path, [refused], rejected_dir, move_files)
    with collector_paused():
        parsed = read_statement(path, account=account)
        if isinstance(parsed, list):
            return _reject(path, parsed, rejected_dir, move_files)
        with unit_of_work(engine) as db:
            # one import at a time, then the checks: two runs importing the same file (or two
            # overlapping exports) would otherwise both find it new and collide on its lines
            lock_series(db, IMPORT_LOCK, business_date(now))
            if db.scalar(select(StatementFile.id).where(StatementFile.sha256 == parsed.sha256)):
                outcome = StatementImported(path.name, "already_imported", len(parsed.lines))
            else:
                outcome = _store(db, parsed, own_ibans, now)
    if move_files:
        _move(path, archive_dir, now)
    return outcome


def _outside_its_folder(path: Path) -> RowError | None:
    """Why an inbox file must not be read (not a plain name, or resolving out of its folder)."""
    try:
        file_in_folder(path.parent, path.name)
    except UnsafePathError as exc:
        return RowError(path.name, 1, "", "", f"fichier refusé, non lu : {exc.reason}")
    return None


IMPORT_LOCK = "statements"  # a counter row of number_series, used as the import lock


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a bulk step (reading and storing a statement,
    matching the credits of a run). Such a step makes hundreds of thousands of objects that live
    until its end and form no cycles, which the collector would traverse again and again as they
    pile up (a sixth of the time of an import or a matching of 100,000 lines); reference counting
    still frees everything as usual. The collector is as it was afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _store(db: OrmSession, parsed: ParsedStatement, own_ibans: set[str], now: datetime) -> StatementImported:
    """Insert the file's new lines in one batch; work per file, not per line."""
    account = parsed.account or ""
    prints = fingerprints(parsed.lines)
    record = StatementFile(sha256=parsed.sha256, name=parsed.file_name, profile=parsed.profile,
                           account=account, lines=len(parsed.lines), new_lines=0,
                           imported_at=now)
    db.add(record)
    db.flush()
    if not parsed.lines:
        return StatementImported(parsed.file_name, "imported")
    first = min(line.booking_date for line in parsed.lines)
    last = max(line.booking_date for line in parsed.lines)
    known = set(db.scalars(select(BankLine.fingerprint).where(
        BankLine.account == account, BankLine.booking_date.between(first, last))))
    other_formats = _lines_of_other_formats(db, parsed.profile, first, last)
    rows, duplicates = [], 0
    for line, fingerprint in zip(parsed.lines, prints, strict=True):
        if fingerprint in known:
            continue
        duplicate = other_formats.get((line.booking_date, line.amount))
        rows.append((record.id, line.line, account, fingerprint, line.booking_date, line.value_date,
                     line.amount, line.label, line.counterparty, line.counterparty_iban, line.reference,
                     line.bank_id, duplicate, classify(line.amount, f"{line.label} {line.reference}",
                                                       line.counterparty_iban, own_ibans)))
        duplicates += duplicate is not None
    if rows:
        insert_rows(db, BankLine.__table__, rows, _COLUMNS)
    record.new_lines = len(rows)
    return StatementImported(parsed.file_name, "imported", len(parsed.lines), len(rows), duplicates)


_COLUMNS = ("file_id", "line", "account", "fingerprint", "booking_date", "value_date", "amount", "label",
            "counterparty", "counterparty_iban", "reference", "bank_id", "duplicate_of", "classification")


def _lines_of_other_formats(db: OrmSession, profile: str, first: date, last: date
                            ) -> dict[tuple[date, Decimal], int]:
    """(date, amount) → the first line of that movement read from another format family
    (a CSV and a camt of the same account): a probable duplicate, flagged, not dropped."""
    family = profile.split(".")[0]
    found: dict[tuple[date, Decimal], int] = {}
    statement = (select(BankLine.id, BankLine.booking_date, BankLine.amount, StatementFile.profile)
                 .join(StatementFile, StatementFile.id == BankLine.file_id)
                 .where(BankLine.booking_date.between(first, last)).order_by(BankLine.id))
    for line_id, day, amount, other in db.execute(statement):
        if other.split(".")[0] != family:
            found.setdefault((day, amount), line_id)
    return found


def _reject(path: Path, errors: list[RowError], rejected_dir: Path, move_files: bool
            ) -> StatementImported:
    rejected_dir.mkdir(parents=True, exist_ok=True)
    messages = [str(error) for error in errors]
    report = rejected_dir / f"{path.name}.erreurs.txt"
    report.write_text(f"Fichier rejeté en entier, rien n'en a été importé : {path.name}\n"
                      + "\n".join(messages) + "\n", encoding="utf-8")
    if move_files:
        shutil.move(str(path), rejected_dir / path.name)
    else:
        shutil.copy2(path, rejected_dir / path.name)
    return StatementImported(path.name, "rejected", errors=tuple(messages))


def _move(path: Path, folder: Path, now: datetime) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists() and target.read_bytes() == path.read_bytes():
        path.unlink()  # the very same file was archived already
        return
    if target.exists():  # another file of the same name archived before: keep both
        target = folder / f"{path.stem}-{now:%Y%m%dT%H%M%S}{path.suffix}"
    shutil.move(str(path), target)
