"""The audit pack of a session or an OPCO dossier: one zip of everything that proves the training
took place, was funded, invoiced, paid and its trainer paid (contrôle de service fait, Qualiopi).

The zip holds the latest version of each document the pipeline produced (convention, programme,
devis, convocations, attendance sheets, certificats de réalisation), the PEC document the platform
uploaded, the invoices and credit notes, the bank statement lines that paid them, the trainer's
invoice and payout, and `manifest.csv`: every file with its SHA-256, its size and what it proves.
The same data gives the same bytes (fixed zip timestamps, sorted entries).

Only this session's data: the statements and the SEPA file also hold other clients' payments
and other trainers' bank details, so the pack carries the matched lines and the payout, each with
the SHA-256 of the statement file or SEPA file it comes from (to check against the bank's copy).

The PEC document is named by the platform: it is opened only through `file_in_folder`, as a plain
file name inside the export's `documents/` folder (symlinks followed); any other value (a path,
`..`, a symlink leading out, even one stored by an older version) is never read and becomes a
"MANQUE" line of the manifest saying why. Every zip entry name is a plain relative name (`/`
between plain file names, no `..`, no leading `/`): `_write_zip` refuses any other.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session as OrmSession

from adapters.database import unit_of_work
from adapters.files import UnsafePathError, file_in_folder, write_atomically
from adapters.models import (
    Allocation,
    BankLine,
    DocumentFile,
    Invoice,
    Payout,
    PayoutBatch,
    Pec,
    PecState,
    SelfBilledInvoice,
    Session,
    SessionFunding,
    StatementFile,
    TrainerInvoice,
)
from backoffice.document_kinds import DOSSIER, document_named
from backoffice.identifiers import file_name_problem
from services.documents import ZIP_TIME  # fixed: the same pack gives the same bytes

MANIFEST_COLUMNS = ("file", "sha256", "bytes", "proves")


class AuditPackError(ValueError):
    """A pack that cannot be made (French message)."""


@dataclass(frozen=True, slots=True)
class AuditPack:
    path: Path
    files: int
    missing: tuple[str, ...]  # what the pack should hold and does not (French)


def build_audit_pack(engine: Engine, *, output_dir: Path, export_dir: Path,
                     session_ref: str | None = None, dossier_number: str | None = None
                     ) -> AuditPack:
    """Write `output/audit-packs/<session or dossier>.zip` and return what it holds."""
    if bool(session_ref) == bool(dossier_number):
        raise AuditPackError("donner une session ou un numéro de dossier OPCO (un seul des deux)")
    name = session_ref or f"dossier-{dossier_number}"
    try:  # a ref or a dossier number from outside: a plain name inside audit-packs/, or nothing
        path = file_in_folder(output_dir / "audit-packs", f"{name}.zip")
    except UnsafePathError as exc:
        raise AuditPackError(f"nom de pack impossible : {exc}") from exc
    with unit_of_work(engine) as db:
        sessions = _sessions(db, session_ref, dossier_number)
        entries: dict[str, tuple[bytes, str]] = {}
        missing: list[str] = []
        for ref in sessions:
            prefix = f"{ref}/" if len(sessions) > 1 else ""
            _documents(db, ref, output_dir, prefix, entries, missing)
            _pecs(db, ref, export_dir, prefix, entries, missing)
            _invoices(db, ref, output_dir, prefix, entries, missing)
            _trainer(db, ref, output_dir, prefix, entries, missing)
        _payments(db, sessions, entries)
    _write_zip(path, entries, missing)
    return AuditPack(path, len(entries) + 1, tuple(missing))


def _sessions(db: OrmSession, session_ref: str | None, dossier_number: str | None) -> list[str]:
    if session_ref:
        if db.get(Session, session_ref) is None:
            raise AuditPackError(f"session {session_ref} inconnue")
        return [session_ref]
    refs = set(db.scalars(select(SessionFunding.session_ref).where(
        SessionFunding.dossier_number == dossier_number)))
    refs |= set(db.scalars(select(Invoice.session_ref).where(
        Invoice.dossier_number == dossier_number)))
    if not refs:
        raise AuditPackError(f"aucune session pour le dossier OPCO {dossier_number}")
    return sorted(refs)


def _read(path: Path, what: str, missing: list[str]) -> bytes | None:
    if not path.is_file():
        missing.append(f"{what} : fichier {path} introuvable")
        return None
    return path.read_bytes()


def _documents(db: OrmSession, ref: str, output_dir: Path, prefix: str,
               entries: dict[str, tuple[bytes, str]], missing: list[str]) -> None:
    files = list(db.scalars(select(DocumentFile).where(DocumentFile.session_ref == ref)
                            .order_by(DocumentFile.kind, DocumentFile.version)))
    latest = {}
    for row in files:  # the latest version of each document
        latest[(row.kind, row.name)] = row
    if not latest:
        missing.append(f"session {ref} : aucun document produit")
    for row in latest.values():
        if row.name == DOSSIER:  # the zip of the set's PDFs: they are in the pack already
            continue
        data = _read(output_dir / row.path, f"{ref} {row.name}", missing)
        if data is not None:
            document = document_named(row.name)  # what it proves: the registry says
            proof = document.proves if document else row.name
            entries[f"{prefix}documents/{Path(row.path).name}"] = (
                data, f"{proof} (session {ref}, version {row.version})")


def _pecs(db: OrmSession, ref: str, export_dir: Path, prefix: str,
          entries: dict[str, tuple[bytes, str]], missing: list[str]) -> None:
    pecs = db.execute(select(Pec, PecState.status).join(PecState, PecState.pec_ref == Pec.pec_ref)
                      .where(PecState.session_ref == ref,
                             PecState.status.in_(("validated", "accepted")))).all()
    for pec, status in pecs:
        if not pec.document:
            missing.append(f"PEC {pec.pec_ref} : pas de document déposé sur la plateforme")
            continue
        try:
            path = file_in_folder(export_dir / "documents", pec.document)
        except UnsafePathError as exc:
            missing.append(f"PEC {pec.pec_ref} : document « {exc.name} » non lu : {exc.reason}")
            continue
        data = _read(path, f"PEC {pec.pec_ref}", missing)
        if data is not None:
            entries[f"{prefix}pec/{pec.document}"] = (
                data, f"l'accord de prise en charge {pec.opco} n° {pec.dossier_number} "
                      f"(PEC {pec.pec_ref}, {status})")


def _invoices(db: OrmSession, ref: str, output_dir: Path, prefix: str,
              entries: dict[str, tuple[bytes, str]], missing: list[str]) -> None:
    for invoice in db.scalars(select(Invoice).where(Invoice.session_ref == ref)
                              .order_by(Invoice.number)):
        what = "l'avoir" if invoice.kind == "credit_note" else "la facture"
        if not invoice.pdf_path:
            missing.append(f"{invoice.number} : PDF pas encore produit")
            continue
        data = _read(output_dir / invoice.pdf_path, invoice.number, missing)
        if data is not None:
            entries[f"{prefix}factures/{invoice.number}.pdf"] = (
                data, f"{what} {invoice.number} à {invoice.funder_name}, {invoice.total_ttc} € "
                      f"TTC (Factur-X), statut {invoice.status}")


def _trainer(db: OrmSession, ref: str, output_dir: Path, prefix: str,
             entries: dict[str, tuple[bytes, str]], missing: list[str]) -> None:
    payouts = list(db.scalars(select(Payout).where(Payout.session_ref == ref)
                              .order_by(Payout.id)))
    deposited = list(db.scalars(select(TrainerInvoice).where(TrainerInvoice.session_ref == ref)))
    rows = [{"facture": i.number, "formateur": i.trainer_ref, "montant_ht": i.amount_ht,
             "tva": i.vat, "montant_ttc": i.amount_ttc, "reçue_le": i.received_at.isoformat()}
            for i in deposited]
    if rows:
        entries[f"{prefix}formateur/factures-deposees.csv"] = (
            _csv(rows), "la facture du formateur déposée sur la plateforme (sous-traitance)")
    for self_billed in db.scalars(select(SelfBilledInvoice).where(
            SelfBilledInvoice.session_ref == ref)):
        if self_billed.pdf_path:
            data = _read(output_dir / self_billed.pdf_path, self_billed.number, missing)
            if data is not None:
                entries[f"{prefix}formateur/{self_billed.number}.pdf"] = (
                    data, f"la facture du formateur émise par autofacturation "
                          f"({self_billed.amount_ttc} €)")
    if not payouts:
        missing.append(f"session {ref} : formateur pas encore payé")
        return
    batches: dict[str | None, str] = dict(db.execute(select(PayoutBatch.id, PayoutBatch.sha256).where(
        PayoutBatch.id.in_({p.batch_id for p in payouts if p.batch_id}))).all())
    entries[f"{prefix}formateur/virements.csv"] = (_csv([{
        "virement": p.id, "formateur": p.trainer_ref, "montant": p.amount, "statut": p.status,
        "facture": p.trainer_invoice, "lot": p.batch_id or "",
        "fichier_sepa_sha256": batches.get(p.batch_id, ""),
        "exécution_demandée": p.execution_date.isoformat(),
        "exécuté_le": p.executed_on.isoformat() if p.executed_on else ""} for p in payouts]),
        "le paiement du formateur : virement, ordre SEPA remis à la banque (son SHA-256) et date "
        "d'exécution sur le relevé")


def _payments(db: OrmSession, sessions: list[str], entries: dict[str, tuple[bytes, str]]) -> None:
    numbers = set(db.scalars(select(Invoice.number).where(Invoice.session_ref.in_(sessions))))
    payout_ids = set(db.scalars(select(Payout.id).where(Payout.session_ref.in_(sessions))))
    applied = db.execute(select(Allocation, BankLine, StatementFile)
                         .join(BankLine, BankLine.id == Allocation.line_id)
                         .join(StatementFile, StatementFile.id == BankLine.file_id)
                         .where(Allocation.state == "applied",
                                Allocation.invoice_number.in_(numbers))
                         .order_by(BankLine.booking_date, BankLine.id)).all()
    rows = [{"relevé": file.name, "relevé_sha256": file.sha256, "ligne": line.line,
             "date": line.booking_date.isoformat(), "montant": line.amount, "libellé": line.label,
             "facture": a.invoice_number, "affecté": a.amount, "méthode": a.method}
            for a, line, file in applied]
    executed = db.execute(select(Payout, BankLine, StatementFile)
                          .join(BankLine, BankLine.id == Payout.executed_line_id)
                          .join(StatementFile, StatementFile.id == BankLine.file_id)
                          .where(Payout.id.in_(payout_ids))).all()
    rows += [{"relevé": file.name, "relevé_sha256": file.sha256, "ligne": line.line,
              "date": line.booking_date.isoformat(), "montant": line.amount, "libellé": line.label,
              "facture": p.trainer_invoice, "affecté": -p.amount,
              "méthode": f"virement formateur {p.id}"} for p, line, file in executed]
    if rows:
        entries["paiements/lignes-de-releve.csv"] = (
            _csv(rows), "les paiements des financeurs et du formateur, lignes de nos relevés "
                        "bancaires (avec le SHA-256 du fichier de relevé d'origine)")


def _csv(rows: list[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _entry_name_problem(name: str) -> str | None:
    """Why `name` is not a plain relative zip entry name (French), or None: plain file names
    (`file_name_problem`) joined by `/`, so no leading `/`, no `\\`, no `..`, no drive."""
    for part in name.split("/"):
        problem = file_name_problem(part)
        if problem:
            return problem
    return None


def _write_zip(path: Path, entries: dict[str, tuple[bytes, str]], missing: list[str]) -> None:
    for name in entries:
        problem = _entry_name_problem(name)
        if problem:
            raise AuditPackError(f"entrée de zip « {name} » refusée : {problem}")
    manifest = [{"file": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                 "proves": proof} for name, (data, proof) in sorted(entries.items())]
    manifest += [{"file": "", "sha256": "", "bytes": "", "proves": f"MANQUE : {m}"}
                 for m in missing]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(manifest)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("manifest.csv", ZIP_TIME),
                         buffer.getvalue().encode("utf-8"), zipfile.ZIP_DEFLATED)
        for name, (content, _) in sorted(entries.items()):
            archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), content, zipfile.ZIP_DEFLATED)
    write_atomically(path, data.getvalue())
