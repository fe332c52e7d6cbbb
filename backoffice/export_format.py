"""The platform export contract (docs/platform-export.md) as data, and its row validation.

Each file is a `FileSpec`: its columns with a parser each, its key, and the references it makes
to other files. `parse_file` turns text rows into typed records or `RowError`s; `check_references`
then rejects rows that point at refs neither in the database nor in an accepted file. A file with
one error is rejected whole: that decision is the adapter's, these functions only report.

A PEC's `document` is a plain file name (`identifiers.file_name_problem`), never a path: a row
naming `../../etc/passwd`, `/etc/passwd` or `C:\\x` is an invalid row. A column of personal data
(e-mail addresses, IBANs) carries its masking function: the value of its `RowError` is masked
(`j***@acme.fr`, `FR76 **** … 0189`), as it is printed by the command line and kept in run
summaries; a malformed row's cells are masked as free text (`masking.mask_text`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from backoffice import dates, identifiers, masking, money
from backoffice.bpf import BPF_STATUSES, OBJECTIVES, nsf_problem

FUNDING_MODES = ("opco_subrogation", "opco_reimbursement", "company")
VAT_REGIMES = ("franchise", "exempt", "vat")
MODALITIES = ("presentiel", "distanciel", "mixte")
SIGNATURE_METHODS = ("electronic", "paper")  # how a half-day was signed (attendance.csv)

Key = tuple[str, ...]
Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in an export file, located for the operator who must fix it."""

    file: str
    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        """The message as every reader gets it (command line, logs, summaries, e-mails): an IBAN
        or an e-mail address in it masked, wherever it comes from (a bank file's own account, a
        cell of a malformed row)."""
        where = f"{self.file}, ligne {self.line}"
        if self.column:
            where += f", colonne « {self.column} »"
        value = masking.mask_text(self.value)
        shown = value if len(value) <= 60 else value[:57] + "..."
        return masking.mask_text(f"{where} : {self.reason} (valeur : « {shown} »)")


class InvalidValue(ValueError):
    """Raised by a column parser; the message is the French reason shown to the operator."""


Parser = Callable[[str], Any]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    parse: Parser
    required: bool = True
    default: Any = None
    mask: Callable[[str], str] | None = None  # personal data: how a rejected value is shown

    def shown(self, raw: str) -> str:
        """The value as a rejection message may show it: masked for personal data."""
        if self.mask is None or not raw.strip():
            return raw
        return self.mask(raw.strip())


@dataclass(frozen=True, slots=True)
class Reference:
    """Columns of this file that must name a key of another file (or of the database), or of
    the reference data (`OPCOS`: the caller gives the codes of data/opcos.csv). An optional
    reference may be left empty."""

    columns: Key
    target: str
    optional: bool = False


OPCOS = "opcos"  # the OPCO codes of the reference data (data/opcos.csv), given by the caller


@dataclass(frozen=True, slots=True)
class FileSpec:
    name: str
    entity: str
    key: Key
    columns: tuple[Column, ...]
    references: tuple[Reference, ...] = ()
    row_checks: tuple[Callable[[Record], tuple[str, str] | None], ...] = ()

    def key_of(self, record: Record) -> Key:
        return tuple(str(record[c]) for c in self.key)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    spec: FileSpec
    records: tuple[Record, ...] = ()
    lines: tuple[int, ...] = ()
    errors: tuple[RowError, ...] = field(default=())
    columns: tuple[str, ...] = ()  # the spec's columns present in the header
    declared: frozenset[Key] = frozenset()  # keys as written on every row, valid or not

    @property
    def keys(self) -> set[Key]:
        return {self.spec.key_of(r) for r in self.records}


# --- column parsers: text in, typed value out, or InvalidValue with the reason -----------------

def _checked(problem: Callable[[str], str | None], normalize: Callable[[str], str] = str.strip
             ) -> Parser:
    def parse(text: str) -> str:
        value = normalize(text)
        reason = problem(value)
        if reason:
            raise InvalidValue(reason)
        return value
    return parse


def text(value: str) -> str:
    return value.strip()


def ref(value: str) -> str:
    cleaned = value.strip()
    if len(cleaned) > 64 or any(c in cleaned for c in "\r\n\t"):
        raise InvalidValue("référence invalide (64 caractères au plus, sur une ligne)")
    return cleaned


def one_of(*allowed: str) -> Parser:
    def parse(value: str) -> str:
        if value.strip() not in allowed:
            raise InvalidValue("valeur inconnue ; attendu : " + ", ".join(allowed))
        return value.strip()
    return parse


def yes_no(value: str) -> bool:
    cleaned = value.strip().lower()
    if cleaned not in ("yes", "no"):
        raise InvalidValue("attendu : yes ou no")
    return cleaned == "yes"


def amount(value: str) -> Decimal:
    try:
        return money.parse_amount(value)
    except money.AmountError as exc:
        raise InvalidValue(str(exc)) from exc


def non_negative_amount(value: str) -> Decimal:
    parsed = amount(value)
    if parsed < 0:
        raise InvalidValue("montant négatif")
    return parsed


def hours(value: str) -> Decimal:
    cleaned = value.strip()
    if "," in cleaned:
        raise InvalidValue("durée avec une virgule : utiliser le point (ex. 10.5)")
    try:
        parsed = Decimal(cleaned)
    except InvalidOperation as exc:
        raise InvalidValue("durée illisible (nombre d'heures attendu, ex. 14 ou 10.5)") from exc
    if not parsed.is_finite() or parsed <= 0 or parsed > 2000 or parsed != round(parsed, 2):
        raise InvalidValue("durée invalide (heures positives, deux décimales au plus)")
    return parsed


def whole_number(value: str) -> int:
    if not value.strip().isdigit():
        raise InvalidValue("nombre entier positif attendu")
    return int(value.strip())


def _wrap(parse: Callable[[str], Any]) -> Parser:
    def wrapped(value: str) -> Any:
        try:
            return parse(value)
        except dates.DateFormatError as exc:
            raise InvalidValue(str(exc)) from exc
    return wrapped


a_date = _wrap(dates.parse_date)
a_time = _wrap(dates.parse_time)
an_instant = _wrap(dates.parse_instant)
siret = _checked(identifiers.siret_problem)
nda = _checked(identifiers.nda_problem)
idcc = _checked(identifiers.idcc_problem)
email = _checked(identifiers.email_problem)
iban = _checked(identifiers.iban_problem, identifiers.normalize_iban)
bic = _checked(identifiers.bic_problem, lambda v: v.strip().upper())
file_name = _checked(identifiers.file_name_problem)
opco = _checked(lambda code: None if re.fullmatch(r"[A-Z][A-Z0-9_]{1,30}", code)
                else "code OPCO invalide (majuscules, chiffres et _, ex. ATLAS)")


nsf_code = _checked(nsf_problem, lambda v: v.strip().lower())  # « 314R » is written 314r


def _idcc(value: str) -> str:
    return identifiers.normalize_idcc(idcc(value))


# --- checks across the columns of one row: (column, reason) or None -----------------------------

def _ends_after_start(record: Record) -> tuple[str, str] | None:
    if record["end_date"] < record["start_date"]:
        return "end_date", "la date de fin précède la date de début"
    return None


def _slot_ends_after_start(record: Record) -> tuple[str, str] | None:
    if record["end"] <= record["start"]:
        return "end", "l'heure de fin doit suivre l'heure de début"
    return None


def _minutes_only_when_present(record: Record) -> tuple[str, str] | None:
    minutes = record["minutes"]
    if minutes is not None and record["status"] == "absent":
        return "minutes", "des minutes de présence pour un stagiaire absent"
    if minutes is not None and not 0 < minutes <= 24 * 60:
        return "minutes", "minutes de présence invalides"
    return None


def _evidence_is_consistent(record: Record) -> tuple[str, str] | None:
    absent = record["status"] == "absent"
    for column in ("trainee_signed_at", "login_at"):
        if absent and record.get(column) is not None:
            return column, "une signature ou une connexion pour un stagiaire absent"
    if (record.get("trainee_signed_at") or record.get("trainer_signed_at")) \
            and record.get("signature_method") is None:
        return "signature_method", "une heure de signature sans sa méthode"
    login, logout = record.get("login_at"), record.get("logout_at")
    if (login is None) != (logout is None):
        return "logout_at" if logout is None else "login_at", \
            "une connexion sans son heure de fin (ou de début)"
    if login is not None and logout <= login:
        return "logout_at", "la déconnexion doit suivre la connexion"
    return None


def _ttc_is_ht_plus_vat(record: Record) -> tuple[str, str] | None:
    if record["amount_ht"] + record["vat"] != record["amount_ttc"]:
        return "amount_ttc", "le TTC n'est pas égal au HT plus la TVA"
    return None


# --- the contract --------------------------------------------------------------------------------

def _c(name: str, parse: Parser = text, required: bool = True, default: Any = None,
       mask: Callable[[str], str] | None = None) -> Column:
    return Column(name, parse, required, default, mask)


def _email(name: str, required: bool = True) -> Column:
    return _c(name, email, required, mask=masking.mask_email)


FILE_SPECS: tuple[FileSpec, ...] = (
    FileSpec("trainers.csv", "trainer", ("trainer_ref",), (
        _c("trainer_ref", ref), _c("first_name"), _c("last_name"), _email("email"),
        _c("siret", siret), _c("nda", nda, False), _c("iban", iban, mask=masking.mask_iban),
        _c("bic", bic, False),
        _c("vat_regime", one_of(*VAT_REGIMES)), _c("self_billing", yes_no, False, False),
        _c("address", required=False), _c("postcode", required=False),
        _c("city", required=False),
    )),
    FileSpec("clients.csv", "client", ("client_ref",), (
        _c("client_ref", ref), _c("name"), _c("siret", siret), _c("address"), _c("postcode"),
        _c("city"), _c("idcc", _idcc, False), _c("headcount", whole_number, False),
        _c("contact_name"), _email("contact_email"), _c("opco", opco, False),
    ), (Reference(("opco",), OPCOS, optional=True),)),
    FileSpec("programmes.csv", "programme", ("programme_ref",), (
        _c("programme_ref", ref), _c("title"), _c("objectives"), _c("content"),
        _c("prerequisites"), _c("audience"), _c("methods"), _c("evaluation"),
        _c("accessibility"), _c("duration_hours", hours),
        # the BPF (optional, issue #19, docs/bpf.md): Cerfa 10443 F-3 objective, F-4 NSF code
        _c("objective", one_of(*OBJECTIVES), False), _c("nsf_code", nsf_code, False),
    )),
    FileSpec("sessions.csv", "session", ("session_ref",), (
        _c("session_ref", ref), _c("programme_ref", ref), _c("trainer_ref", ref),
        _c("client_ref", ref), _c("start_date", a_date), _c("end_date", a_date),
        _c("hours_per_trainee", hours), _c("modality", one_of(*MODALITIES)),
        _c("location", required=False), _c("price_ht", non_negative_amount),
        _c("trainer_fee_ht", non_negative_amount), _c("funding", one_of(*FUNDING_MODES)),
        _c("validated_at", an_instant, False), _c("cancelled_at", an_instant, False),
    ), (
        Reference(("programme_ref",), "programmes.csv"),
        Reference(("trainer_ref",), "trainers.csv"),
        Reference(("client_ref",), "clients.csv"),
    ), (_ends_after_start,)),
    FileSpec("slots.csv", "slot", ("session_ref", "date", "start"), (
        _c("session_ref", ref), _c("date", a_date), _c("start", a_time), _c("end", a_time),
    ), (Reference(("session_ref",), "sessions.csv"),), (_slot_ends_after_start,)),
    FileSpec("trainees.csv", "trainee", ("session_ref", "trainee_ref"), (
        _c("session_ref", ref), _c("trainee_ref", ref), _c("first_name"), _c("last_name"),
        _email("email", False), _c("job_title", required=False),
        _c("bpf_status", one_of(*BPF_STATUSES), False),  # the BPF's F-1 line (docs/bpf.md)
    ), (Reference(("session_ref",), "sessions.csv"),)),
    FileSpec("pecs.csv", "pec", ("pec_ref",), (
        _c("pec_ref", ref), _c("session_ref", ref, False), _c("opco", opco),
        _c("dossier_number", ref), _c("client_siret", siret), _c("title", required=False),
        _c("start_date", a_date), _c("end_date", a_date), _c("hours", hours),
        _c("amount_granted_ht", non_negative_amount), _c("subrogation", yes_no),
        _c("trainees", required=False), _c("received_at", an_instant),
        _c("document", file_name, False),
    ), (Reference(("opco",), OPCOS),), (_ends_after_start,)),
    FileSpec("attendance.csv", "attendance", ("session_ref", "trainee_ref", "date", "half_day"), (
        _c("session_ref", ref), _c("trainee_ref", ref), _c("date", a_date),
        _c("half_day", one_of("am", "pm")), _c("status", one_of("present", "absent")),
        _c("minutes", whole_number, False),
        # the evidence (optional, issue #17): signatures, and the connection log at a distance
        _c("trainee_signed_at", an_instant, False), _c("trainer_signed_at", an_instant, False),
        _c("signature_method", one_of(*SIGNATURE_METHODS), False),
        _c("login_at", an_instant, False), _c("logout_at", an_instant, False),
    ), (
        Reference(("session_ref",), "sessions.csv"),
        Reference(("session_ref", "trainee_ref"), "trainees.csv"),
    ), (_minutes_only_when_present, _evidence_is_consistent)),
    FileSpec("completions.csv", "completion", ("session_ref",), (
        _c("session_ref", ref), _c("declared_at", an_instant),
    ), (Reference(("session_ref",), "sessions.csv"),)),
    FileSpec("trainer_invoices.csv", "trainer_invoice", ("trainer_ref", "number"), (
        _c("session_ref", ref), _c("trainer_ref", ref), _c("number", ref),
        _c("amount_ht", non_negative_amount), _c("vat", non_negative_amount),
        _c("amount_ttc", non_negative_amount), _c("received_at", an_instant),
    ), (
        Reference(("session_ref",), "sessions.csv"),
        Reference(("trainer_ref",), "trainers.csv"),
    ), (_ttc_is_ht_plus_vat,)),
)
SPECS_BY_NAME: dict[str, FileSpec] = {spec.name: spec for spec in FILE_SPECS}


def parse_file(spec: FileSpec, header: list[str], rows: Iterable[tuple[int, list[str]]]
               ) -> ParsedFile:
    """Typed records of one file, or every error found in it (header, cells, duplicates)."""
    header = [h.strip() for h in header]
    missing = [c.name for c in spec.columns if c.required and c.name not in header]
    if missing:
        return ParsedFile(spec, errors=tuple(
            RowError(spec.name, 1, name, "", "colonne obligatoire absente de l'en-tête")
            for name in missing))
    position = {name: i for i, name in enumerate(header)}
    records: list[Record] = []
    lines: list[int] = []
    errors: list[RowError] = []
    first_line_of: dict[Key, int] = {}
    declared: set[Key] = set()
    for line, cells in rows:
        if all(position[c] < len(cells) for c in spec.key):  # a hint, even on a malformed row
            declared.add(tuple(cells[position[c]].strip() for c in spec.key))
        record, row_errors = _parse_row(spec, position, line, cells)
        if not row_errors:
            key = spec.key_of(record)
            if key in first_line_of:
                row_errors.append(RowError(spec.name, line, spec.key[-1], "/".join(key),
                                           f"référence en double (déjà à la ligne {first_line_of[key]})"))
            first_line_of.setdefault(key, line)
        if row_errors:
            errors.extend(row_errors)
        else:
            records.append(record)
            lines.append(line)
    present = tuple(c.name for c in spec.columns if c.name in position)
    return ParsedFile(spec, tuple(records), tuple(lines), tuple(errors), present,
                      frozenset(declared))


def _parse_row(spec: FileSpec, position: Mapping[str, int], line: int, cells: list[str]
               ) -> tuple[Record, list[RowError]]:
    if len(cells) != len(position):  # cells cannot be told apart: personal data masked as text
        return {}, [RowError(spec.name, line, "", masking.mask_text(",".join(cells))[:80],
                             f"{len(cells)} champs au lieu de {len(position)} (celui de l'en-tête)")]
    record: Record = {}
    errors: list[RowError] = []
    for column in spec.columns:
        raw = cells[position[column.name]] if column.name in position else ""
        if not raw.strip():
            if column.required:
                errors.append(RowError(spec.name, line, column.name, raw, "valeur obligatoire manquante"))
            record[column.name] = column.default
            continue
        try:
            record[column.name] = column.parse(raw)
        except InvalidValue as exc:
            errors.append(RowError(spec.name, line, column.name, column.shown(raw), str(exc)))
    if not errors:
        for check in spec.row_checks:
            found = check(record)
            if found:
                column_name, reason = found
                errors.append(RowError(spec.name, line, column_name,
                                       cells[position[column_name]], reason))
    return record, errors


def check_references(parsed: ParsedFile, known: Mapping[str, set[Key]],
                     rejected: Mapping[str, set[Key]]) -> ParsedFile:
    """Errors for rows that point at keys unknown to the database and to accepted files.

    `known[target]` holds the keys of the database plus those of accepted files; `rejected[target]`
    the keys defined only in a rejected file, so the message can say where the ref was lost.
    """
    errors = list(parsed.errors)
    for record, line in zip(parsed.records, parsed.lines, strict=True):
        for reference in parsed.spec.references:
            if reference.optional and all(record[c] is None for c in reference.columns):
                continue
            key = tuple(str(record[c]) for c in reference.columns)
            if key in known.get(reference.target, set()):
                continue
            value = "/".join(key)
            if reference.target == OPCOS:
                reason = ("OPCO inconnu ; codes attendus : "
                          + ", ".join(sorted(code for (code,) in known.get(OPCOS, set()))))
            elif key in rejected.get(reference.target, set()):
                reason = f"défini dans {reference.target}, fichier rejeté"
            else:
                reason = f"référence inconnue (ni en base, ni dans {reference.target})"
            errors.append(RowError(parsed.spec.name, line, reference.columns[-1], value, reason))
    if len(errors) == len(parsed.errors):
        return parsed
    return ParsedFile(parsed.spec, parsed.records, parsed.lines, tuple(errors), parsed.columns,
                      parsed.declared)
