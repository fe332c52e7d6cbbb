"""Bank statement lines from French bank exports (docs/bank-statements.md), as pure functions.

A CSV export is read with a *profile*: the bank's layout as data (which column holds the date,
the amount or the debit/credit pair, the label…, the decimal style, the date formats, the status
values that mean "not booked yet"). `recognise` picks the profile from the header line, by a
signature of column names compared with accents, case and punctuation folded; `generic_profile`
builds one from a column mapping for any other bank. `rows_to_lines` turns the rows that follow the
header into `StatementLine`s, or reports every bad row as a located `RowError`; the adapter
(`adapters/bank_files.py`) rejects a file with one error whole.

`fingerprints` gives each line a stable identity for idempotent imports: an overlapping later
export of the same account yields the same fingerprints for the lines it shares, and two identical
real lines of one file (same day, amount and label) stay two through an occurrence index.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from backoffice import identifiers, money
from backoffice.dates import DateFormatError
from backoffice.export_format import RowError
from backoffice.money import AmountError, parse_amount_fr
from backoffice.names import fold, fold_label

__all__ = [
    "MAPPING_NAME", "PROFILES", "AmountError", "BalanceGap", "BankProfile", "DateFormatError",
    "StatementLine", "fingerprints", "generic_profile", "line_key", "parse_date_fr", "recognise",
    "rows_to_lines",
]


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One booked movement of a bank account, as the bank reported it."""

    account: str  # IBAN of our account when known (camt, a column, or given), else ""
    booking_date: date
    value_date: date | None
    amount: Decimal  # signed: credit > 0, debit < 0, 2 decimals
    label: str  # the bank's label, whitespace-normalised, multi-line joined with " "
    counterparty: str  # payer/payee name when the format gives it, else ""
    counterparty_iban: str  # when given (camt, Qonto…), else ""
    reference: str  # remittance reference / end-to-end id / "Référence" column, else ""
    bank_id: str  # the bank's own transaction id (camt AcctSvcrRef/NtryRef, Qonto id…), else ""
    line: int  # physical line (CSV) or entry index (camt) in the file
    raw: dict[str, str] = field(hash=False)  # the original cells / fields, for the audit trail
    reversal: bool = False  # camt: a reversal (RvslInd) or a return (RtrInf) of an earlier movement
    charges: Decimal | None = None  # camt: the bank's charges reported on this movement (Chrgs)


@dataclass(frozen=True, slots=True)
class BalanceGap:
    """A statement whose opening balance plus its booked entries is not its closing balance.

    The file is imported all the same (its lines are what the bank booked) and flagged: the
    statement may lack entries, or the bank's balances be wrong."""

    account: str
    statement: str  # the statement's id in the file (camt Stmt/Id), or its position
    opening: Decimal
    entries: Decimal  # the sum of the booked entries, signed
    closing: Decimal

    @property
    def gap(self) -> Decimal:
        """What the entries miss to reach the closing balance (closing − opening − entries)."""
        return money.quantize(self.closing - self.opening - self.entries)

    def __str__(self) -> str:
        return (f"relevé {self.statement} ({self.account or 'compte inconnu'}) : solde d'ouverture "
                f"{self.opening} € + écritures {self.entries} € = "
                f"{money.quantize(self.opening + self.entries)} €, solde de clôture {self.closing} € : "
                f"écart de {self.gap} €")


# --- text ---------------------------------------------------------------------------------------

def _clean(text: str) -> str:
    """Whitespace-normalised text: every run of spaces, tabs, NBSPs and line breaks becomes one space."""
    return " ".join(text.split())


# --- dates --------------------------------------------------------------------------------------

DATE_FORMATS: dict[str, str] = {
    "DD/MM/YYYY": r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})",
    "DD/MM/YY": r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{2})",
    "DD-MM-YYYY": r"(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})",
    "YYYY-MM-DD": r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})",
}
# A time after the date is allowed and dropped: the date is taken as written (Qonto's UTC dates
# are not converted to Paris time, see docs/bank-statements.md).
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"


def parse_date_fr(text: str, formats: Sequence[str] = ("DD/MM/YYYY",)) -> date:
    """A date in one of `formats` (keys of DATE_FORMATS); "DD/MM/YY" means 20YY."""
    cleaned = text.strip()
    for name in formats:
        found = _date_pattern(DATE_FORMATS[name]).fullmatch(cleaned)
        if found:
            year = int(found["y"]) + (2000 if len(found["y"]) == 2 else 0)
            try:
                return date(year, int(found["m"]), int(found["d"]))
            except ValueError as exc:
                raise DateFormatError("date inexistante") from exc
    expected = " ou ".join(name.replace("DD", "JJ").replace("YYYY", "AAAA").replace("YY", "AA")
                           for name in formats)
    raise DateFormatError(f"date illisible (attendu : {expected})")


@lru_cache(maxsize=16)
def _date_pattern(date_format: str) -> re.Pattern[str]:
    return re.compile(date_format + _TIME)


@lru_cache(maxsize=4096)  # a statement has a few hundred distinct dates, on thousands of lines
def _read_date(text: str, formats: tuple[str, ...]) -> date | str:
    """`parse_date_fr`, or the reason it refuses the text."""
    try:
        return parse_date_fr(text, formats)
    except DateFormatError as exc:
        return str(exc)


# --- bank profiles ------------------------------------------------------------------------------

Names = tuple[str, ...]  # normalised column names; for a role, the first one present is used


@dataclass(frozen=True, slots=True)
class BankProfile:
    """One bank's CSV layout as data (see docs/bank-statements.md for the sources).

    Column roles name normalised header names (`names.fold`); for each role the first name
    present in the header is used. The `label` columns present are joined with a space (an exact
    repeat skipped); `label_fallback` is used only when they are all empty (SG's short "Libellé"
    when its full "Détail de l'écriture" is blank). `amount` is one signed column; otherwise
    `debit` and `credit` (a debit written positive or negative is a debit; a negative credit is
    refused).
    """

    key: str
    name: str
    signature: Names  # all present (after normalisation) ⇒ this layout
    booking_date: Names
    label: Names
    label_fallback: Names = ()
    amount: Names = ()
    debit: Names = ()
    credit: Names = ()
    value_date: Names = ()
    reference: Names = ()
    counterparty: Names = ()
    counterparty_iban: Names = ()
    bank_id: Names = ()
    account: Names = ()  # a column holding our own IBAN (Qonto's "IBAN du compte")
    currency: Names = ()  # rows in another currency than EUR are refused
    status: Names = ()
    booked: frozenset[str] = frozenset()  # normalised status values meaning booked
    not_booked: frozenset[str] = frozenset()  # normalised status values skipped (pending, declined…)
    decimal: str = ","
    date_formats: tuple[str, ...] = ("DD/MM/YYYY",)
    columns: Names = ()  # headerless layout: the positional column names (old BNP export, LCL)
    header_is_data: bool = False  # headerless: the first line is an operation (LCL), not a summary
    skip_lines: int = 0  # headerless mapping: the lines above the first operation
    written: tuple[tuple[str, str], ...] = ()  # a mapping's column names: (folded, as written)
    blank_line_ends_table: bool = False  # Crédit Agricole: card sections follow a blank line
    encoding: str = ""  # what the sources say, for the documentation (detection is automatic)
    source: str = ""


# Booking-date cells that mean "not booked yet" in any layout: the row is skipped.
NOT_BOOKED_DATES = frozenset({"a venir", "en cours", "en attente", "pending"})
# A row without a date whose first non-empty cell starts with one of these is a balance or total
# line; it is ignored only after the last operation (see `rows_to_lines`).
SUMMARY_WORDS = ("solde", "total", "totaux", "sous total", "nouveau solde", "ancien solde",
                 "montant total", "pas d operation", "aucune operation")

_QONTO_BOOKED = frozenset({"settled", "executed", "completed", "execute"})
_QONTO_NOT_BOOKED = frozenset({"pending", "processing", "declined", "reversed", "canceled", "cancelled",
                               "en cours", "en attente", "refuse", "annule", "rejete", "a venir"})

SOCIETE_GENERALE = BankProfile(
    key="societe-generale", name="Société Générale",
    signature=("date de l operation", "libelle", "detail de l ecriture", "montant de l operation"),
    booking_date=("date de l operation",), label=("detail de l ecriture",), label_fallback=("libelle",),
    amount=("montant de l operation",), currency=("devise",), encoding="cp1252",
    source="AiroPi/moneymanager readers/societe_generale.py; pfrancois/beancount_scripts "
           "fp_bc/importers/sg.py",
)
SOCIETE_GENERALE_2019 = BankProfile(
    key="societe-generale-comptabilisation", name="Société Générale (export « date_comptabilisation »)",
    signature=("date comptabilisation", "libelle complet operation", "montant operation"),
    booking_date=("date comptabilisation",), label=("libelle complet operation",),
    amount=("montant operation",), currency=("devise",), encoding="ISO-8859 (cp1252)",
    source="https://enodev.fr/posts/fin-du-qif-a-la-societe-generale.html",
)
BNP_PARIBAS = BankProfile(
    key="bnp-paribas", name="BNP Paribas",
    signature=("date operation", "libelle operation", "montant operation en euro"),
    booking_date=("date operation",), label=("libelle operation",),
    amount=("montant operation en euro",), date_formats=("DD/MM/YYYY", "YYYY-MM-DD"),
    source="Corsud/Tresoperso tests/test_parse_csv.py; kledghq/kledg lib/banking/import/presets.ts",
)
BNP_PARIBAS_OLD = BankProfile(
    key="bnp-paribas-ancien", name="BNP Paribas (ancien export E<chiffres>.csv, sans en-tête)",
    signature=(), columns=("date", "categorie", "sous categorie", "libelle", "montant"),
    booking_date=("date",), label=("libelle",), amount=("montant",), encoding="ISO-8859-1",
    source="mincong-h/finance-toolkit finance_toolkit/bnp.py, test/download/E0790170.csv",
)
CREDIT_AGRICOLE = BankProfile(
    key="credit-agricole", name="Crédit Agricole",
    signature=("date", "libelle", "debit euros", "credit euros"),
    booking_date=("date",), value_date=("date valeur",), label=("libelle",),
    debit=("debit euros",), credit=("credit euros",), blank_line_ends_table=True,
    encoding="ISO-8859-1 (non vérifié)",
    source="jbleduigou/budgetcategorizer parser/parser_test.go; kledghq/kledg presets",
)
CREDIT_MUTUEL = BankProfile(
    key="credit-mutuel-cic", name="Crédit Mutuel / CIC",
    signature=("date", "date de valeur", "debit", "credit", "libelle", "solde"),
    booking_date=("date",), value_date=("date de valeur",), label=("libelle",),
    debit=("debit",), credit=("credit",), encoding="ISO-8859-15",
    source="vrischmann/beancount-importers ccm.py, synthetic/ccm-courant/00000000001.csv; "
           "afup/web CreditMutuel.php",
)
CREDIT_MUTUEL_AMOUNT = BankProfile(
    key="credit-mutuel-cic-montant", name="Crédit Mutuel / CIC (montant unique)",
    signature=("date", "date de valeur", "montant", "libelle", "solde"),
    booking_date=("date",), value_date=("date de valeur",), label=("libelle",),
    amount=("montant",), encoding="ISO-8859-15",
    source="kledghq/kledg presets (citing vrischmann/beancount-importers synthetic/ccm-courant)",
)
BPCE = BankProfile(
    key="bpce", name="Banque Populaire / Caisse d'Épargne",
    signature=("date de comptabilisation", "libelle operation", "debit", "credit", "date de valeur"),
    booking_date=("date de comptabilisation",), value_date=("date de valeur",),
    label=("libelle operation", "informations complementaires"), reference=("reference",),
    debit=("debit",), credit=("credit",), encoding="UTF-8",
    source="mincong-h/finance-toolkit test/download/12345678_01112024_30112024.csv; "
           "NonoHM/budgetpilot src/lib/server/import/profiles/banque-populaire.ts",
)
LA_BANQUE_POSTALE = BankProfile(
    key="la-banque-postale", name="La Banque Postale",
    signature=("date", "libelle", "montant euros"),
    booking_date=("date",), label=("libelle",), amount=("montant euros",),
    encoding="cp1252 / ISO-8859-1 (non vérifié)",
    source="kledghq/kledg presets (citing an OpenFlyers help page); public test fixtures "
           "reproducing the export (preamble « Numéro Compte », « Solde (EUROS) »)",
)
QONTO = BankProfile(
    key="qonto", name="Qonto (export en anglais)",
    signature=("status", "transaction id", "total amount incl vat"),
    booking_date=("settlement date utc", "settlement date local"),
    value_date=("operation date utc", "operation date local"),
    label=("counterparty name",), counterparty=("counterparty name",), counterparty_iban=("iban",),
    reference=("reference",), bank_id=("transaction id",), amount=("total amount incl vat",),
    currency=("currency",), status=("status",), booked=_QONTO_BOOKED, not_booked=_QONTO_NOT_BOOKED,
    decimal=".", date_formats=("YYYY-MM-DD", "DD/MM/YYYY"), encoding="UTF-8",
    source="enobase/demo-coda-export src/parsers/qonto.ts; kledghq/kledg presets",
)
QONTO_FR = BankProfile(
    key="qonto-fr", name="Qonto (export en français)",
    signature=("statut", "identifiant de transaction", "montant total ttc"),
    booking_date=("date de la valeur utc", "date de la valeur local"),
    value_date=("date de l operation utc", "date de l operation local"),
    label=("nom de la contrepartie",), counterparty=("nom de la contrepartie",),
    counterparty_iban=("iban de la contrepartie",), account=("iban du compte",),
    reference=("reference",), bank_id=("identifiant de transaction",), amount=("montant total ttc",),
    currency=("devise",), status=("statut",), booked=_QONTO_BOOKED, not_booked=_QONTO_NOT_BOOKED,
    date_formats=("DD-MM-YYYY", "DD/MM/YYYY", "YYYY-MM-DD"), encoding="UTF-8",
    source="kledghq/kledg presets; public test fixtures reproducing the export header",
)
SHINE = BankProfile(
    key="shine", name="Shine",
    signature=("transaction id", "date d operation", "debit", "credit", "libelle", "nom de la contrepartie"),
    booking_date=("date d operation",), value_date=("date de la valeur",), label=("libelle",),
    counterparty=("nom de la contrepartie",), bank_id=("transaction id",),
    debit=("debit",), credit=("credit",), encoding="cp1252",
    source="rodulfo-dmgz/RD-Recueil app/js/engine/import-shine.js; kledghq/kledg presets",
)
BOURSOBANK = BankProfile(
    key="boursobank", name="BoursoBank",
    signature=("dateop", "dateval", "label", "amount"),
    booking_date=("dateop",), value_date=("dateval",), label=("label",), amount=("amount",),
    account=("accountnum",),  # an export of several accounts: each line keeps its own
    date_formats=("YYYY-MM-DD", "DD/MM/YYYY"), encoding="UTF-8 (cp1252 in older files)",
    source="azerpas/bourso-api src/bourso_api/src/client/transaction.rs; mincong-h/finance-toolkit "
           "test/download/export-operations-*.csv",
)

BNP_PARIBAS_CATEGORIES = BankProfile(
    key="bnp-paribas-categories", name="BNP Paribas (export avec catégories, 2024)",
    signature=("date operation", "categorie operation", "sous categorie operation", "libelle operation",
               "montant operation"),
    booking_date=("date operation",), label=("libelle operation",), amount=("montant operation",),
    date_formats=("DD-MM-YYYY", "DD/MM/YYYY"), encoding="cp1252 (non vérifié)",
    source="issue 18 (en-tête relevé sur un export réel); public test fixtures reproducing the "
           "export (account line « Compte de chèques ****1234;Solde au …;… » then a blank line, "
           "dates DD-MM-YYYY, « Pointage operation;Commentaire operation » in some)",
)
FORTUNEO = BankProfile(
    key="fortuneo", name="Fortuneo",
    signature=("date operation", "date valeur", "libelle", "debit", "credit"),
    booking_date=("date operation",), value_date=("date valeur",), label=("libelle",),
    debit=("debit",), credit=("credit",), encoding="cp1252",
    source="mincong-h/finance-toolkit test/download/HistoriqueOperations_12345_du_14_01_2019_au_"
           "14_12_2019.csv and finance_toolkit/fortuneo.py (debit written negative, credit "
           "positive, a trailing « ; »); firefly-iii/import-configurations fr/fortuneo/default.json",
)
_REVOLUT_BOOKED = frozenset({"completed"})
_REVOLUT_NOT_BOOKED = frozenset({"pending", "declined", "reverted", "failed", "cancelled", "canceled"})
REVOLUT_BUSINESS = BankProfile(
    key="revolut-business", name="Revolut Business",
    signature=("date completed utc", "id", "type", "state", "description", "payment currency", "amount"),
    booking_date=("date completed europe paris", "date completed utc"),
    value_date=("date started europe paris", "date started utc"),
    label=("description", "reference"), reference=("reference",), bank_id=("id",),
    counterparty=("sender name",), amount=("total amount", "amount"), currency=("payment currency",),
    status=("state",), booked=_REVOLUT_BOOKED, not_booked=_REVOLUT_NOT_BOOKED,
    decimal=".", date_formats=("YYYY-MM-DD",), encoding="UTF-8 (BOM in some)",
    source="BananaAccounting/Universal extensions/import/revolut (Business CSV); kledghq/kledg "
           "presets; public test fixtures copying the export header (« Date started (UTC),Date "
           "completed (UTC),ID,Type,State,Description,Reference,Payer,… »)",
)
LCL = BankProfile(
    key="lcl", name="LCL (export sans en-tête)",
    signature=(), columns=("date", "montant", "type", "libelle", "colonne 5", "colonne 6", "colonne 7",
                          "colonne 8"), header_is_data=True,
    booking_date=("date",), label=("libelle",), amount=("montant",), encoding="cp1252 (non vérifié)",
    source="no bank documentation found; one public sample, dimsoft test "
           "OpenCloseParseAndVerifyTypeFileBanqueTest.java (file T_cpte_<agence>_<compte>_du_…_au_…"
           ".csv, rows « date;montant;type;libellé;… », no header): recognised by its first row",
)

PROFILES: tuple[BankProfile, ...] = (
    SOCIETE_GENERALE, SOCIETE_GENERALE_2019, BNP_PARIBAS, BNP_PARIBAS_OLD, CREDIT_AGRICOLE,
    CREDIT_MUTUEL, CREDIT_MUTUEL_AMOUNT, BPCE, LA_BANQUE_POSTALE, QONTO, QONTO_FR, SHINE, BOURSOBANK,
    BNP_PARIBAS_CATEGORIES, FORTUNEO, REVOLUT_BUSINESS, LCL,
)


def recognise(header: Sequence[str]) -> BankProfile | None:
    """The profile whose header signature is present (accents, case, punctuation folded).

    When several match, the most specific (longest signature) wins. The first line of the old
    headerless BNP export (an account summary: category; category; ****1234; date; ; balance)
    is recognised by its shape.
    """
    names = {fold(cell) for cell in header}
    matching = [p for p in PROFILES if p.signature and set(p.signature) <= names]
    if matching:
        return max(matching, key=lambda p: len(p.signature))
    if _is_old_bnp_summary(header):
        return BNP_PARIBAS_OLD
    if _is_lcl_row(header):
        return LCL
    return None


def _is_old_bnp_summary(cells: Sequence[str]) -> bool:
    values = [c.strip().strip('"') for c in cells]
    if len(values) != 6 or not re.fullmatch(r"\*+\d{4}", values[2]):
        return False
    try:
        parse_date_fr(values[3])
        parse_amount_fr(values[5], decimal=",")
    except ValueError:
        return False
    return True


# The operation types of LCL's export (third field of each row), folded.
LCL_TYPES = frozenset({"carte", "virement", "prelevement", "cheque", "especes", "remise", "frais",
                       "commission", "retrait", "depot", "echeance pret", "divers"})


def _is_lcl_row(cells: Sequence[str]) -> bool:
    """LCL's headerless export: `DD/MM/YYYY;amount;type;label;…` with a known operation type."""
    values = [c.strip().strip('"') for c in cells]
    if len(values) < 4 or fold(values[2]) not in LCL_TYPES:
        return False
    try:
        parse_date_fr(values[0])
        parse_amount_fr(values[1], decimal=",")
    except ValueError:
        return False
    return True


GENERIC_ROLES = ("date", "label", "amount", "debit", "credit", "value_date", "reference",
                 "counterparty", "counterparty_iban", "bank_id", "status", "currency")
GENERIC_OPTIONS = ("name", "header", "width", "skip_lines", "date_format", "decimal", "booked",
                   "not_booked")
MAPPING_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")  # a saved mapping's name (its file's stem)


def generic_profile(mapping: Mapping[str, str]) -> BankProfile:
    """A profile for any other bank from a column mapping (docs/bank-statements.md, « Autres banques »).

    Roles: "date", "label" (several columns joined with " + "), "amount" or "debit"/"credit",
    optional "value_date", "reference", "counterparty", "counterparty_iban", "bank_id", "status",
    "currency" (a row in another currency than the euro rejects the file); options: "name" (a
    saved mapping's name: the profile's key is `correspondance-<name>`), "date_format" (a key of
    DATE_FORMATS, default DD/MM/YYYY), "decimal" ("," or ".", default ","), with "status" the values
    "booked" / "not_booked" (separated by "|"). A file without a header: "header" = "non", each role
    valued by column numbers from 1 ("4 + 5"), "width" the number of columns of a row (default:
    the last one mapped), "skip_lines" the lines above the first operation (default 0).
    Raises ValueError with a French message on a mapping that cannot work.
    """
    unknown = set(mapping) - set(GENERIC_ROLES) - set(GENERIC_OPTIONS)
    if unknown:
        raise ValueError("correspondance : rôle(s) inconnu(s) : " + ", ".join(sorted(unknown)))
    written = {role: tuple(part.strip() for part in str(mapping[role]).split(" + ") if part.strip())
               for role in GENERIC_ROLES if str(mapping.get(role, "")).strip()}
    if "date" not in written or "label" not in written:
        raise ValueError("correspondance : les colonnes « date » et « label » sont obligatoires")
    if ("amount" in written) == ("debit" in written or "credit" in written):
        raise ValueError("correspondance : indiquer soit « amount », soit « debit » et « credit »")
    if "amount" not in written and not ("debit" in written and "credit" in written):
        raise ValueError("correspondance : « debit » et « credit » vont ensemble")
    name = mapping.get("name", "").strip()
    if name and not MAPPING_NAME.fullmatch(name):
        raise ValueError(f"correspondance : nom « {name} » invalide (minuscules, chiffres et tirets)")
    header = _yes_no(mapping.get("header", "oui"), "header")
    columns: Names = ()
    if not header:
        written, columns = _positions(written, mapping.get("width", ""))
    roles = {role: tuple(fold(part) for part in parts) for role, parts in written.items()}
    skip = mapping.get("skip_lines", "0").strip() or "0"
    if not skip.isdigit() or (header and skip != "0"):
        raise ValueError("correspondance : « skip_lines » : un nombre de lignes, pour un fichier sans "
                         "en-tête (avec en-tête, les lignes au-dessus sont sautées d'elles-mêmes)")
    date_format = mapping.get("date_format", "DD/MM/YYYY").strip().upper()
    if date_format not in DATE_FORMATS:
        raise ValueError("correspondance : format de date inconnu ; attendu : " + ", ".join(DATE_FORMATS))
    decimal = {"": ",", ",": ",", "virgule": ",", ".": ".", "point": "."}.get(
        mapping.get("decimal", "").strip().lower())
    if decimal is None:
        raise ValueError("correspondance : séparateur décimal « , » ou « . » attendu")
    booked = frozenset(fold(v) for v in mapping.get("booked", "").split("|") if v.strip())
    not_booked = frozenset(fold(v) for v in mapping.get("not_booked", "").split("|") if v.strip())
    if "status" in roles and not booked:
        raise ValueError("correspondance : avec « status », indiquer les valeurs « booked »")
    signature = () if columns else tuple(dict.fromkeys(n for names in roles.values() for n in names))
    as_written = tuple(dict.fromkeys((fold(part), part) for parts in written.values() for part in parts))
    return BankProfile(
        key=f"correspondance-{name}" if name else "generic",
        name=f"Correspondance « {name} »" if name else "Générique (correspondance de colonnes)",
        signature=signature, columns=columns, header_is_data=bool(columns), skip_lines=int(skip),
        written=as_written,
        booking_date=roles["date"], label=roles["label"], amount=roles.get("amount", ()),
        debit=roles.get("debit", ()), credit=roles.get("credit", ()),
        value_date=roles.get("value_date", ()), reference=roles.get("reference", ()),
        counterparty=roles.get("counterparty", ()), counterparty_iban=roles.get("counterparty_iban", ()),
        bank_id=roles.get("bank_id", ()), status=roles.get("status", ()), currency=roles.get("currency", ()),
        booked=booked, not_booked=not_booked, decimal=decimal, date_formats=(date_format,),
        source=f"correspondance enregistrée « {name} »" if name else "correspondance fournie",
    )


def _yes_no(text: str, key: str) -> bool:
    value = fold(str(text))
    if value in ("oui", "yes", "true", "1"):
        return True
    if value in ("non", "no", "false", "0"):
        return False
    raise ValueError(f"correspondance : « {key} » vaut « oui » ou « non »")


def _positions(written: dict[str, tuple[str, ...]], width: str
               ) -> tuple[dict[str, tuple[str, ...]], Names]:
    """A headerless mapping: each role's column numbers (from 1) as the names « colonne N »."""
    numbers: dict[str, tuple[int, ...]] = {}
    for role, parts in written.items():
        if not all(part.isdigit() and 1 <= int(part) <= 200 for part in parts):
            raise ValueError(f"correspondance sans en-tête : « {role} » : un numéro de colonne (1, 2…) "
                             f"attendu, pas « {' + '.join(parts)} »")
        numbers[role] = tuple(int(part) for part in parts)
    last = max(n for positions in numbers.values() for n in positions)
    if width.strip() and not (width.strip().isdigit() and int(width) >= last):
        raise ValueError(f"correspondance : « width » : un nombre de colonnes, au moins {last}")
    count = int(width) if width.strip() else last
    names = tuple(f"colonne {n}" for n in range(1, count + 1))
    return {role: tuple(f"colonne {n}" for n in positions) for role, positions in numbers.items()}, names


def header_matches(profile: BankProfile, header: Sequence[str]) -> bool:
    """Whether this header line carries the profile's signature (used to find a mapped header)."""
    return bool(profile.signature) and set(profile.signature) <= {fold(c) for c in header}


# --- rows → lines -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Layout:
    """A profile resolved against one header: the index of each role's column (or None)."""

    width: int
    names: tuple[str, ...]  # the header as written, for error messages and `raw`
    index: dict[str, int | None]
    labels: tuple[int, ...]
    fallback: tuple[int, ...]
    present: tuple[tuple[str, int], ...]  # the roles that have a column, and its position
    raw_keys: tuple[str, ...]  # the names of the columns in `raw` (one per position up to width)

    def column(self, role: str) -> str:
        position = self.index[role]
        return self.names[position] if position is not None else ""

    def by_role(self, cells: Sequence[str]) -> dict[str, str]:
        """The cell of each role ("" for a role without a column, or beyond a short row)."""
        found = dict.fromkeys(_ROLES, "")
        for role, position in self.present:
            if position < len(cells):
                found[role] = cells[position]
        return found

    def raw(self, cells: list[str]) -> dict[str, str]:
        """The row's cells by column name, up to the header's width."""
        if len(cells) < self.width:
            cells = cells + [""] * (self.width - len(cells))
        return dict(zip(self.raw_keys, cells[:self.width], strict=True))


_ROLES = ("booking_date", "value_date", "amount", "debit", "credit", "reference", "counterparty",
          "counterparty_iban", "bank_id", "account", "currency", "status")


def _layout(profile: BankProfile, header: Sequence[str]) -> _Layout:
    names = tuple(cell.strip().strip('"').replace("\ufeff", "") for cell in header)
    normalised = [fold(n) for n in names]
    first: dict[str, int] = {}
    for position, name in enumerate(normalised):
        first.setdefault(name, position)

    def find(candidates: Names) -> int | None:
        return next((first[c] for c in candidates if c in first), None)

    width = max((i + 1 for i, n in enumerate(names) if n), default=0)
    index = {role: find(getattr(profile, role)) for role in _ROLES}
    labels = tuple(dict.fromkeys(first[c] for c in profile.label if c in first))
    fallback = tuple(dict.fromkeys(first[c] for c in profile.label_fallback if c in first))
    present = tuple((role, position) for role, position in index.items() if position is not None)
    raw_keys: list[str] = []
    for position in range(width):
        name = names[position] or f"colonne {position + 1}"
        raw_keys.append(name if name not in raw_keys else f"{name} ({position + 1})")
    return _Layout(width, names, index, labels, fallback, present, tuple(raw_keys))


def _missing_columns(profile: BankProfile, layout: _Layout) -> list[str]:
    missing = [] if layout.index["booking_date"] is not None else [profile.booking_date[0]]
    if not layout.labels:
        missing.append(profile.label[0])
    if profile.amount:
        if layout.index["amount"] is None:
            missing.append(profile.amount[0])
    else:
        missing += [getattr(profile, r)[0] for r in ("debit", "credit") if layout.index[r] is None]
    if profile.status and layout.index["status"] is None:
        missing.append(profile.status[0])
    return missing


def rows_to_lines(profile: BankProfile, file_name: str, header: Sequence[str],
                  rows: Iterable[tuple[int, list[str]]], *, account: str = "", header_line: int = 1,
                  ) -> tuple[list[StatementLine], list[RowError]]:
    """The booked lines of a CSV export, and a located error for every row that cannot be read.

    `rows` pairs each record with the physical line where it starts (blank records included: they
    end Crédit Agricole's account table). Skipped without error: blank rows; rows whose status or
    booking date says "not booked" (Qonto "pending"/"declined", "À venir"…); balance/total lines
    after the last operation (no date, first text "Solde…", "Total…", "Pas d'opération…"); for
    Crédit Agricole, what follows a blank line then an undated line (the card sections). Anything
    else that does not read as an operation is an error, and so is an operation after a
    balance/total line. `account` (our IBAN) is stamped on every line, unless the file has an
    account column (Qonto), whose value must then agree with it.
    """
    account = identifiers.normalize_iban(account)
    layout = _layout(profile, header)
    missing = _missing_columns(profile, layout)
    if missing:
        return [], [RowError(file_name, header_line, name, "", "colonne obligatoire absente de l'en-tête")
                    for name in missing]
    lines: list[StatementLine] = []
    errors: list[RowError] = []
    summary_line = 0  # the first balance/total line, after which no operation may come
    blank_seen = False  # Crédit Agricole: a blank line, then an undated line, ends the account table
    card_section = False
    for number, cells in rows:
        if card_section:
            continue  # deferred-debit card operations: not booked on the account (yet)
        if not "".join(cells).strip():
            blank_seen = profile.blank_line_ends_table
            continue
        booking_text = _cell(cells, layout.index["booking_date"])
        dated = _is_date(booking_text, profile.date_formats)
        if not dated and blank_seen:
            card_section = True
            continue
        blank_seen = False
        if not dated and fold(booking_text) in NOT_BOOKED_DATES:
            continue
        if summary_line:
            column = layout.column("booking_date") if dated else ""
            value = booking_text if dated else _shown(cells)
            if dated or not _is_summary(cells):
                errors.append(RowError(file_name, number, column, value,
                                       f"ligne après la ligne de solde/total (ligne {summary_line}) : "
                                       "fichier à vérifier"))
            continue
        if not dated and _is_summary(cells):
            summary_line = number
            continue
        line, row_errors = _row_to_line(profile, layout, file_name, number, cells, account)
        errors.extend(row_errors)
        if line is not None:
            lines.append(line)
    return lines, errors


def _cell(cells: Sequence[str], position: int | None) -> str:
    return cells[position] if position is not None and position < len(cells) else ""


def _shown(cells: Sequence[str]) -> str:
    return ";".join(cells)[:80]


def _is_date(text: str, formats: tuple[str, ...]) -> bool:
    return not isinstance(_read_date(text, formats), str)


def _is_summary(cells: Sequence[str]) -> bool:
    """A balance/total line: its first non-empty cell starts with one of SUMMARY_WORDS."""
    first = next((fold(c) for c in cells if fold(c)), "")
    return any(first == word or first.startswith(word + " ") for word in SUMMARY_WORDS)


class _Row:
    """The cells of one row by role, and the errors found while reading them."""

    def __init__(self, layout: _Layout, file_name: str, number: int, cells: list[str]) -> None:
        self.layout, self.file_name, self.number = layout, file_name, number
        self.cell = layout.by_role(cells)
        self.errors: list[RowError] = []

    def error(self, role: str, value: str, reason: str) -> None:
        self.errors.append(RowError(self.file_name, self.number, self.layout.column(role), value, reason))

    def date(self, role: str, formats: tuple[str, ...], required: bool) -> date | None:
        text = self.cell[role]
        if not text.strip():
            if required:
                self.error(role, text, "date manquante")
            return None
        found = _read_date(text, formats)
        if isinstance(found, str):
            self.error(role, text, found)
            return None
        return found

    def amount(self, role: str, decimal: str) -> Decimal | None:
        text = self.cell[role]
        if not text.strip():
            return None
        try:
            return parse_amount_fr(text, decimal=decimal)
        except AmountError as exc:
            self.error(role, text, str(exc))
            return None


def _row_to_line(profile: BankProfile, layout: _Layout, file_name: str, number: int,
                 cells: list[str], account: str) -> tuple[StatementLine | None, list[RowError]]:
    if len(cells) > layout.width and any(c.strip() for c in cells[layout.width:]):
        return None, [RowError(file_name, number, "", _shown(cells),
                               f"{len(cells)} champs au lieu de {layout.width} (ceux de l'en-tête)")]
    row = _Row(layout, file_name, number, cells)
    if layout.index["status"] is not None:
        status = fold(row.cell["status"])
        if status in profile.not_booked:
            return None, []
        if status not in profile.booked:
            row.error("status", row.cell["status"], "statut inconnu ; attendu : "
                      + ", ".join(sorted(profile.booked | profile.not_booked)))
            return None, row.errors
    booking = row.date("booking_date", profile.date_formats, required=True)
    value_date = row.date("value_date", profile.date_formats, required=False)
    currency = row.cell["currency"].strip().upper()
    if currency not in ("", "EUR", "€"):
        row.error("currency", row.cell["currency"], "devise autre que l'euro : non prise en charge")
    amount = _signed_amount(profile, row)
    own = identifiers.normalize_iban(row.cell["account"]) if row.cell["account"] else ""
    if own and account and own != account:
        if own.isdigit() and own in account[4:]:  # the bank's account number, within our IBAN
            own = account
        else:
            row.error("account", row.cell["account"], f"ligne d'un autre compte que {account}")
    if row.errors or booking is None or amount is None:
        return None, row.errors
    counterparty_iban = row.cell["counterparty_iban"]
    return StatementLine(
        account=own or account, booking_date=booking, value_date=value_date, amount=amount,
        label=_label(cells, layout.labels) or _label(cells, layout.fallback),
        counterparty=_clean(row.cell["counterparty"]),
        counterparty_iban=identifiers.normalize_iban(counterparty_iban) if counterparty_iban else "",
        reference=_clean(row.cell["reference"]), bank_id=row.cell["bank_id"].strip(), line=number,
        raw=layout.raw(cells),
    ), []


def _signed_amount(profile: BankProfile, row: _Row) -> Decimal | None:
    """One signed amount, from the amount column or the debit/credit pair."""
    if profile.amount:
        if not row.cell["amount"].strip():
            row.error("amount", row.cell["amount"], "montant manquant")
        return row.amount("amount", profile.decimal)
    debit_text, credit_text = row.cell["debit"], row.cell["credit"]
    debit, credit = row.amount("debit", profile.decimal), row.amount("credit", profile.decimal)
    if row.errors:
        return None
    if not debit_text.strip() and not credit_text.strip():
        row.error("debit", "", "ni débit ni crédit")
        return None
    if debit and credit:  # one of the two may be written "0,00"
        row.error("debit", f"{debit_text.strip()} / {credit_text.strip()}",
                  "débit et crédit remplis tous les deux")
        return None
    if credit is not None and credit < 0:
        row.error("credit", credit_text, "crédit négatif")
        return None
    if debit:  # money out, written "-26,99" (Crédit Mutuel, BPCE) or "3,18" (Crédit Agricole)
        return -abs(debit)
    return credit if credit is not None else money.ZERO


def _label(cells: Sequence[str], positions: tuple[int, ...]) -> str:
    if len(positions) == 1:
        return _clean(_cell(cells, positions[0]))
    parts: list[str] = []
    seen: set[str] = set()
    for position in positions:
        text = _clean(_cell(cells, position))
        folded = fold_label(text)
        if text and folded not in seen:
            seen.add(folded)
            parts.append(text)
    return " ".join(parts)


# --- fingerprints -------------------------------------------------------------------------------

def line_key(line: StatementLine) -> str:
    """sha256 of what identifies a movement: account, booking date, amount, label, bank id."""
    parts = (line.account, line.booking_date.isoformat(), f"{money.quantize(line.amount):.2f}",
             fold_label(line.label), line.bank_id)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def fingerprints(lines: Sequence[StatementLine]) -> list[str]:
    """`line_key` + "#" + the occurrence (1, 2…) among identical lines, in the file's order.

    Two identical real lines of one file (same day, amount and label) get "#1" and "#2"; an
    export overlapping another gives the lines they share the same fingerprints, because twins
    share their booking date and so are always exported together.
    """
    seen: Counter[str] = Counter()
    result = []
    for line in lines:
        key = line_key(line)
        seen[key] += 1
        result.append(f"{key}#{seen[key]}")
    return result
