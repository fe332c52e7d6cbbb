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
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session as OrmSession

from adapters.bank_files import ParsedStatement, read_statement
from adapters.database import insert_rows, read_rows, unit_of_work
from adapters.files import UnsafePathError, file_in_folder
from adapters.models import BankLine, StatementFile
from adapters.numbering import lock_series
from adapters.review import ReviewKind, open_item
from backoffice import identifiers
from backoffice.dates import business_date
from backoffice.export_format import RowError
from backoffice.masking import mask_iban
from backoffice.matching import classify
from backoffice.outcomes import StatementImported
from backoffice.statements import fingerprints


def import_statement_files(engine: Engine, paths: list[Path], *, archive_dir: Path,
                           rejected_dir: Path, own_ibans: Collection[str], now: datetime,
                           account: str = "", move_files: bool = False,
                           collection_accounts: Collection[str] | None = None,
                           mapping: Mapping[str, str] | None = None
                           ) -> list[StatementImported]:
    """Import each file in turn (sorted by name), each in its own transaction.

    With `move_files` (the inbox), each file is moved to the archive or rejected folder once
    processed; otherwise (files an operator named) they stay put, a rejected one is copied.
    `mapping`: a saved column mapping (`adapters.bank_mappings`) the files are read with, for a
    bank without a profile."""
    return [import_statement_file(engine, path, archive_dir=archive_dir,
                                  rejected_dir=rejected_dir, own_ibans=own_ibans, now=now,
                                  account=account, move_files=move_files,
                                  collection_accounts=collection_accounts, mapping=mapping)
            for path in sorted(paths, key=lambda p: p.name)]


def import_statement_file(engine: Engine, path: Path, *, archive_dir: Path, rejected_dir: Path,
                          own_ibans: Collection[str], now: datetime, account: str = "",
                          move_files: bool = False, collection_accounts: Collection[str] | None = None,
                          mapping: Mapping[str, str] | None = None) -> StatementImported:
    """One file. `account` is the account the operator (or the inbox subfolder) says the file is
    of, when the file does not say it; `own_ibans` are all our accounts (transfers between them
    are no payments), `collection_accounts` those whose credits feed matching. A file of an
    account that is none of ours is imported and held: a review item, its lines never matched
    (`match_payments` takes only the collection accounts' lines). Without `own_ibans`' accounts
    known (None for `collection_accounts`), no file is held."""
    refused = _outside_its_folder(path) if move_files else None  # an inbox file
    if refused:
        return _reject(path, [refused], rejected_dir, move_files)
    with collector_paused():
        try:
            parsed = read_statement(path, account=account, mapping=mapping)
        except ValueError as exc:  # an account given that is no IBAN, a mapping that cannot work
            return _reject(path, [RowError(path.name, 1, "", account, str(exc))], rejected_dir, move_files)
        if isinstance(parsed, list):
            return _reject(path, parsed, rejected_dir, move_files)
        with unit_of_work(engine) as db:
            # one import at a time, then the checks: two runs importing the same file (or two
            # overlapping exports) would otherwise both find it new and collide on its lines
            lock_series(db, IMPORT_LOCK, business_date(now))
            if db.scalar(select(StatementFile.id).where(StatementFile.sha256 == parsed.sha256)):
                outcome = StatementImported(path.name, "already_imported", len(parsed.lines))
            else:
                outcome = _store(db, parsed, set(own_ibans), now, None if collection_accounts is None
                                 else {*own_ibans, *collection_accounts})
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


def _store(db: OrmSession, parsed: ParsedStatement, own_ibans: set[str], now: datetime,
           known_accounts: set[str] | None) -> StatementImported:
    """Insert the file's new lines in one batch; work per file, not per line. Each line keeps
    its own account (a two-account export stays two accounts)."""
    account = parsed.account or ""
    prints = fingerprints(parsed.lines)
    record = StatementFile(sha256=parsed.sha256, name=parsed.file_name, profile=parsed.profile,
                           account=account, lines=len(parsed.lines), new_lines=0,
                           imported_at=now)
    db.add(record)
    db.flush()
    accounts = {line.account or account for line in parsed.lines} or {account}
    held = _hold_unknown(db, record, accounts, known_accounts, now)
    if not parsed.lines:
        _flag_balances(db, record, parsed, now)
        return StatementImported(parsed.file_name, "imported", balance_gaps=parsed.balance_gaps,
                                 account=account, held=held)
    first = min(line.booking_date for line in parsed.lines)
    last = max(line.booking_date for line in parsed.lines)
    known = set(read_rows(db, select(BankLine.account, BankLine.fingerprint).where(
        BankLine.account.in_(accounts), BankLine.booking_date.between(first, last))))
    other_formats = _lines_of_other_formats(db, parsed.profile, first, last)
    rows, duplicates = [], 0
    for line, fingerprint in zip(parsed.lines, prints, strict=True):
        own = line.account or account
        if (own, fingerprint) in known:
            continue
        try:
            duplicate: int | None = other_formats[(own, line.booking_date, line.amount)]
        except KeyError:
            duplicate = None
        rows.append((record.id, line.line, own, fingerprint, line.booking_date, line.value_date,
                     line.amount, line.label, line.counterparty, line.counterparty_iban, line.reference,
                     line.bank_id, duplicate, classify(line.amount, f"{line.label} {line.reference}",
                                                       line.counterparty_iban, own_ibans),
                     line.reversal, line.charges))
        duplicates += duplicate is not None
    if rows:
        insert_rows(db, BankLine.__table__, rows, _COLUMNS)
    record.new_lines = len(rows)
    _flag_balances(db, record, parsed, now)
    return StatementImported(parsed.file_name, "imported", len(parsed.lines), len(rows), duplicates,
                             balance_gaps=parsed.balance_gaps, account=account, held=held)


def _hold_unknown(db: OrmSession, record: StatementFile, accounts: set[str],
                  known_accounts: set[str] | None, now: datetime) -> bool:
    """A file with an account that is none of ours: a review item; True when held."""
    if known_accounts is None:
        return False
    known = {identifiers.normalize_iban(a) for a in known_accounts}
    unknown = sorted(a for a in accounts if a and a not in known)
    if not unknown:
        return False
    open_item(db, f"statement-account:{record.id}", kind=ReviewKind.statement,
              subject=f"relevé {record.name} : compte inconnu",
              reasons=[f"compte {mask_iban(a)} : ni un compte d'encaissement ni un autre compte "
                       "déclaré ; ses lignes sont importées mais pas rapprochées des factures"
                       for a in unknown], proposals=[], now=now)
    return True


_COLUMNS = ("file_id", "line", "account", "fingerprint", "booking_date", "value_date", "amount", "label",
            "counterparty", "counterparty_iban", "reference", "bank_id", "duplicate_of", "classification",
            "reversal", "charges")


def _flag_balances(db: OrmSession, record: StatementFile, parsed: ParsedStatement, now: datetime) -> None:
    """A statement whose balances disagree with its entries: imported, and a review item naming
    both balances and the gap (the file may lack entries, or the bank's balances be wrong)."""
    if parsed.balance_gaps:
        open_item(db, f"statement-balance:{record.id}", kind=ReviewKind.statement,
                  subject=f"relevé {parsed.file_name} : soldes incohérents",
                  reasons=[str(gap) for gap in parsed.balance_gaps], proposals=[], now=now)


def _lines_of_other_formats(db: OrmSession, profile: str, first: date, last: date
                            ) -> dict[tuple[str, date, Decimal], int]:
    """(account, date, amount) → the first line of that movement read from another format family
    (a CSV and a camt of the same account): a probable duplicate, flagged, not dropped. A line of
    no known account ("") may be of any account: it is found under ("", …) and under each
    account, and a line of an account under ("", …) too."""
    family = profile.split(".")[0]
    found: dict[tuple[str, date, Decimal], int] = {}
    unknown: dict[tuple[date, Decimal], int] = {}
    statement = (select(BankLine.id, BankLine.account, BankLine.booking_date, BankLine.amount,
                        StatementFile.profile)
                 .join(StatementFile, StatementFile.id == BankLine.file_id)
                 .where(BankLine.booking_date.between(first, last)).order_by(BankLine.id))
    for line_id, account, day, amount, other in db.execute(statement):
        if other.split(".")[0] != family:
            found.setdefault((account, day, amount), line_id)
            found.setdefault(("", day, amount), line_id)
            if not account:
                unknown.setdefault((day, amount), line_id)
    return _WithUnknownAccount(found, unknown)


class _WithUnknownAccount(dict[tuple[str, date, Decimal], int]):
    """`found`, where an account's movement missing falls back to a line of no known account."""

    def __init__(self, found: dict[tuple[str, date, Decimal], int],
                 unknown: dict[tuple[date, Decimal], int]) -> None:
        super().__init__(found)
        self.unknown = unknown

    def __missing__(self, key: tuple[str, date, Decimal]) -> int:
        return self.unknown[key[1:]]


def reject_statement_files(paths: list[Path], reason: str, *, rejected_dir: Path, move_files: bool
                           ) -> list[StatementImported]:
    """Reject each file unread for one reason (a saved mapping that cannot be used): its report
    says why, and the inbox's files go to the rejected folder to be dropped again once fixed."""
    return [_reject(path, [RowError(path.name, 1, "", "", reason)], rejected_dir, move_files)
            for path in sorted(paths, key=lambda p: p.name)]


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
