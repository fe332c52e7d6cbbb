"""Ingest a platform export folder: validate every file, then upsert the accepted ones by ref.

A file with any invalid row is rejected whole and nothing of it is applied; a file whose rows
point at refs that only a rejected file defined is rejected too; the others go in, all in one
transaction. Re-ingesting the same folder changes nothing. A changed row is updated and its
before/after kept in `row_history`; a row missing from a file is never deleted. The sessions a
new or changed row concerns are marked, in the same transaction, for the steps that read them
(`adapters.session_changes`).

The files are opened through `file_in_folder`: an export file that is a symlink resolving
outside the export folder is rejected (a `RowError` naming it), and nothing of it is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session as OrmSession

from adapters.database import in_chunks, scalars_in, unit_of_work
from adapters.export_files import CsvTable, read_csv_table
from adapters.files import UnsafePathError, file_in_folder
from adapters.models import ENTITY_MODELS, RowHistory
from adapters.models import Session as SessionRow
from adapters.reference_data import reference_data
from adapters.session_changes import Step, mark_changed
from backoffice.export_format import (
    FILE_SPECS,
    OPCOS,
    SPECS_BY_NAME,
    FileSpec,
    Key,
    ParsedFile,
    RowError,
    check_references,
    parse_file,
)
from backoffice.outcomes import ExportFileRead
from services.funding import sessions_a_pec_may_match


@dataclass(frozen=True, slots=True)
class IngestResult:
    folder: str
    files: tuple[ExportFileRead, ...] = field(default=())

    @property
    def errors(self) -> list[RowError]:
        return [error for outcome in self.files for error in outcome.errors]

    @property
    def rejected(self) -> list[str]:
        return [o.name for o in self.files if o.status == "rejected"]

    @property
    def changed(self) -> int:
        return sum(o.inserted + o.updated for o in self.files)


class ExportFolderError(ValueError):
    """The folder itself cannot be ingested (missing, not a folder, no export file in it)."""


def ingest_export(engine: Engine, folder: Path, *, now: datetime,
                  opcos: Iterable[str] | None = None) -> IngestResult:
    """Validate and apply the export in `folder`; `now` stamps the history of changed rows;
    `opcos`: the OPCO codes an export may name (default: those of data/opcos.csv)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ExportFolderError(f"dossier d'export introuvable : {folder}")
    tables = {spec.name: _read_table(folder, spec.name) for spec in FILE_SPECS
              if (folder / spec.name).is_file() or (folder / spec.name).is_symlink()}
    ignored = sorted(p.name for p in folder.glob("*.csv") if p.name not in SPECS_BY_NAME)
    with unit_of_work(engine) as db:
        known = _known_keys(db)
        known[OPCOS] = {(code,) for code in (reference_data().opcos if opcos is None else opcos)}
        rejected: dict[str, set[Key]] = {}
        outcomes = []
        changed_sessions: set[str] = set()
        pec_sessions: set[str] = set()
        for spec in FILE_SPECS:  # dependency order: a file's targets come before it
            table = tables.get(spec.name)
            if table is None:
                outcomes.append(ExportFileRead(spec.name, "absent"))
                continue
            parsed = _validate(spec, table, known, rejected)
            if parsed.errors:
                rejected[spec.name] = set(parsed.declared)
                outcomes.append(ExportFileRead(spec.name, "rejected", _row_count(table),
                                            errors=parsed.errors))
                continue
            known.setdefault(spec.name, set()).update(parsed.keys)
            inserted, updated = _upsert(db, parsed, str(folder / spec.name), now)
            if spec.entity == "pec":  # the documents and invoices read its decision only
                pec_sessions |= sessions_a_pec_may_match(  # a PEC never decided is seen anyway
                    db, {str(row["pec_ref"]) for row in inserted + updated})
            else:
                changed_sessions |= _sessions_concerned(db, spec, inserted + updated)
            unchanged = len(parsed.records) - len(inserted) - len(updated)
            outcomes.append(ExportFileRead(spec.name, "accepted", len(parsed.records),
                                           len(inserted), len(updated), unchanged))
        mark_changed(db, changed_sessions, now)
        mark_changed(db, pec_sessions - changed_sessions, now, steps=[Step.funding])
    outcomes += [ExportFileRead(name, "ignored") for name in ignored]
    return IngestResult(str(folder), tuple(outcomes))


def _read_table(folder: Path, name: str) -> CsvTable | RowError:
    """The export file `name`, read only when it lies inside `folder`, symlinks followed."""
    try:
        path = file_in_folder(folder, name)
    except UnsafePathError as exc:
        return RowError(name, 1, "", "", f"fichier refusé, rien n'en est lu : {exc.reason}")
    if not path.is_file():
        return RowError(name, 1, "", "", "pas un fichier lisible (lien symbolique cassé ?)")
    return read_csv_table(path)


def _row_count(table: CsvTable | RowError) -> int:
    return len(table.rows) if isinstance(table, CsvTable) else 0


def _validate(spec: FileSpec, table: CsvTable | RowError, known: dict[str, set[Key]],
              rejected: dict[str, set[Key]]) -> ParsedFile:
    if isinstance(table, RowError):
        return ParsedFile(spec, errors=(table,))
    return check_references(parse_file(spec, table.header, table.rows), known, rejected)


def _known_keys(db: OrmSession) -> dict[str, set[Key]]:
    """Keys already in the database for every file that other files refer to."""
    targets = {ref.target for spec in FILE_SPECS for ref in spec.references} & set(SPECS_BY_NAME)
    known: dict[str, set[Key]] = {}
    for name in targets:
        spec = SPECS_BY_NAME[name]
        model = ENTITY_MODELS[spec.entity]
        columns = [getattr(model, c) for c in spec.key]
        known[name] = {tuple(str(v) for v in row) for row in db.execute(select(*columns))}
    return known


def _upsert(db: OrmSession, parsed: ParsedFile, source: str, now: datetime
            ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Insert the new rows, update the changed ones (their before/after in `row_history`);
    returns both (the rows the file left as they were are in neither)."""
    spec = parsed.spec
    model = ENTITY_MODELS[spec.entity]
    columns = parsed.columns
    existing = {tuple(str(row[c]) for c in spec.key): row
                for row in _stored_rows(db, model, columns, spec.key[0], parsed.records)}
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for record in parsed.records:
        key = spec.key_of(record)
        current = existing.get(key)
        values = {c: record[c] for c in columns}
        if current is None:
            new_rows.append(values)
            continue
        diff = [c for c in columns if current[c] != values[c]]  # Decimal compares by value
        if diff:
            changed_rows.append(values)
            history.append({
                "entity": spec.entity, "ref": "/".join(key), "changed_at": now, "source": source,
                "before": {c: _jsonable(current[c]) for c in diff},
                "after": {c: _jsonable(values[c]) for c in diff},
            })
    if new_rows:
        db.execute(insert(model), new_rows)
    if changed_rows:
        db.execute(update(model), changed_rows)
    if history:
        db.execute(insert(RowHistory), history)
    return new_rows, changed_rows


# the entities whose rows other than sessions' own say something of the sessions that use them
_SHARED_BY_SESSIONS = {"programme": SessionRow.programme_ref, "client": SessionRow.client_ref,
                       "trainer": SessionRow.trainer_ref}


def _sessions_concerned(db: OrmSession, spec: FileSpec, rows: Sequence[Mapping[str, Any]]
                        ) -> set[str]:
    """The sessions whose documents or invoices may read the rows inserted or changed: the row's
    own session, or every session of a changed programme, client or trainer. A trainer's
    invoice concerns the payouts only, which read what they need each night."""
    if not rows or spec.entity == "trainer_invoice":
        return set()
    if spec.entity in _SHARED_BY_SESSIONS:
        return set(scalars_in(db, select(SessionRow.session_ref), _SHARED_BY_SESSIONS[spec.entity],
                              (str(row[spec.key[0]]) for row in rows)))
    return {str(row["session_ref"]) for row in rows if row.get("session_ref")}


def _stored_rows(db: OrmSession, model: Any, columns: Sequence[str], first_key: str,
                 records: Sequence[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """The stored rows whose first key column (a ref) is one of the file's: the rows the file
    may update, never the whole history of the table."""
    selected = [getattr(model, c) for c in columns]
    for chunk in in_chunks(str(record[first_key]) for record in records):
        for row in db.execute(select(*selected).where(getattr(model, first_key).in_(chunk))):
            yield row._asdict()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value
