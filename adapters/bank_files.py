"""Reading bank statement files: French banks' CSV exports and camt.053 XML (docs/bank-statements.md).

`read_statement` returns the file's booked lines, or the located errors that reject it whole: a
file that no profile recognises (and no column mapping given), or with any row that cannot be read,
imports nothing. CSV: the bytes are decoded (UTF-8 with or without BOM, else Windows-1252, else
Latin-1), the header line is found by its signature among the first lines (the preamble before it,
account number and balances, is skipped), the delimiter (";", tab or ",") is the one that makes the
header recognisable, and the rest is read with a real CSV parser so that quoted labels may span
several lines. camt.053 (.001.02 to .001.08, the elements read are the same in each): parsed with
the standard library's ElementTree, one line per transaction of a batch-booked entry, else one per
entry, booked entries only; a reversal (`RvslInd`) or a return (`RtrInf`) is flagged on its line,
charges (`Chrgs`) recorded on it, and a statement whose opening balance plus its booked entries
misses its closing balance is imported and flagged (`balance_gaps`).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from backoffice import cfonb, identifiers, money, statements
from backoffice.dates import business_date, parse_instant
from backoffice.export_format import RowError
from backoffice.names import fold
from backoffice.statements import BankProfile, StatementLine

HEADER_SEARCH_LINES = 30
DELIMITERS = (";", "\t", ",")
CAMT_VERSIONS = tuple(f"camt.053.001.{n:02d}" for n in range(2, 9))  # .02 to .08: one reading


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """One accepted statement file."""

    file_name: str
    sha256: str  # of the file's bytes
    profile: str  # the profile key ("societe-generale"…, "generic") or the camt version
    account: str  # our IBAN when known (camt, an account column, or given), else ""
    lines: list[StatementLine]
    encoding: str = ""  # how the bytes were decoded
    delimiter: str = ""  # CSV only
    balance_gaps: tuple[statements.BalanceGap, ...] = ()  # camt: statements whose balances disagree


def read_statement(path: Path, *, account: str = "", mapping: Mapping[str, str] | None = None
                   ) -> ParsedStatement | list[RowError]:
    """The booked lines of a statement file, or every error that makes it unusable.

    `account` is our IBAN for this file (CSV exports rarely carry it; it enters the fingerprints).
    `mapping` is the generic column mapping (`statements.generic_profile`) for a bank without a
    profile; it replaces recognition. A bad `account` or `mapping` is a caller's mistake: ValueError.
    """
    own = identifiers.normalize_iban(account) if account.strip() else ""
    if own and own[:2].isalpha() and identifiers.iban_problem(own):  # else a bank's account number
        raise ValueError(f"compte {account!r} : {identifiers.iban_problem(own)}")
    profile = statements.generic_profile(mapping) if mapping else None
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        return [RowError(path.name, 1, "", "", "fichier vide")]
    if data.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"<"):
        return _read_camt(path.name, digest, data, own)
    decoded = _decode(path.name, data)
    if isinstance(decoded, RowError):
        return [decoded]
    text, encoding = decoded
    if "\x00" in text:
        return [RowError(path.name, 1, "", "", "fichier binaire ou corrompu (octet nul)")]
    if profile is None and cfonb.looks_like_cfonb(text):
        return _read_cfonb(path.name, digest, text, encoding, own)
    return _read_csv(path.name, digest, text, encoding, own, profile)


# --- CSV ----------------------------------------------------------------------------------------

def _decode(name: str, data: bytes) -> tuple[str, str] | RowError:
    """UTF-8 (BOM or not), else Windows-1252 (French exports, a superset of Latin-1 for text), else
    Latin-1 (which reads any byte: the few bytes cp1252 leaves undefined)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            return RowError(name, line, "", data[exc.start : exc.end + 8].decode("latin-1"),
                            "encodage invalide : marque UTF-8 en tête mais octets non UTF-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return RowError(name, 1, "", "", "encodage invalide : UTF-16 illisible")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []


def _find_header(lines: list[str], profile: BankProfile | None
                 ) -> tuple[int, str, BankProfile, list[str]] | None:
    """(index of the header line, delimiter, profile, header cells) among the first lines.

    A header signature anywhere in the first lines wins; only without one is the first non-blank
    line read as the summary line of a headerless layout (old BNP export), because a preamble
    line of the current BNP export has the same shape.
    """
    if profile is not None and profile.columns:  # a mapping by column position: no header
        index = profile.skip_lines
        first = lines[index] if index < len(lines) else ""
        delimiter = next((d for d in DELIMITERS if d in first), ";")
        return index, delimiter, profile, list(profile.columns)
    candidates = [(i, line) for i, line in enumerate(lines[:HEADER_SEARCH_LINES]) if line.strip()]
    for index, line in candidates:
        for delimiter in DELIMITERS:
            if delimiter not in line:
                continue
            cells = _split(line, delimiter)
            if profile is not None:
                if statements.header_matches(profile, cells):
                    return index, delimiter, profile, cells
                continue
            found = statements.recognise(cells)
            if found is not None and not found.columns:
                return index, delimiter, found, cells
    if profile is None and candidates:
        index, line = candidates[0]
        found = statements.recognise(_split(line, ";"))
        if found is not None and found.columns:
            return index, ";", found, list(found.columns)
    return None


def _read_csv(name: str, digest: str, text: str, encoding: str, account: str,
              profile: BankProfile | None) -> ParsedStatement | list[RowError]:
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    found = _find_header(lines, profile)
    if found is None:
        first = next((line for line in lines if line.strip()), "")[:80]
        if profile is not None:
            return _mapped_header_missing(name, lines, profile) or [RowError(
                name, 1, "", first, "en-tête introuvable : aucune des colonnes de la correspondance ("
                + ", ".join(_written(profile, n) for n in profile.signature)
                + f") dans les {HEADER_SEARCH_LINES} premières lignes")]
        return [RowError(name, 1, "", first, f"format de relevé non reconnu : aucune en-tête de banque "
                         f"connue dans les {HEADER_SEARCH_LINES} premières lignes ({UNKNOWN_LAYOUT_HELP})")]
    index, delimiter, profile, header = found
    header_line = index + 1
    if profile.header_is_data:  # a headerless layout whose first line is already an operation
        header_line = index
    reader = csv.reader((line + "\n" for line in lines[header_line:]), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    consumed = 0
    try:
        for cells in reader:
            rows.append((header_line + 1 + consumed, cells))
            consumed = reader.line_num
    except csv.Error as exc:
        return [RowError(name, header_line + 1 + consumed, "", "", f"CSV mal formé ({exc})")]
    parsed, errors = statements.rows_to_lines(profile, name, header, rows, account=account,
                                              header_line=header_line)
    if errors:
        return errors
    accounts = {line.account for line in parsed}
    own = account or (accounts.pop() if len(accounts) == 1 else "")
    return ParsedStatement(name, digest, profile.key, own, parsed, encoding, delimiter)


# What the operator is told to do with a file of a bank without a profile.
UNKNOWN_LAYOUT_HELP = (
    "banque sans profil : enregistrer la correspondance de ses colonnes dans un fichier "
    "<nom>.toml du dossier bank_mappings/ de l'installation (BACKOFFICE_DATA_DIR) ou de data/bank_mappings/ "
    "du projet, puis la choisir : « backoffice import-statements --mapping <nom> FICHIER », le paramètre "
    "« mapping » du déploiement import-statements, ou un sous-dossier <nom> de la boîte de dépôt "
    "bancaire ; voir docs/payments.md, « Correspondances enregistrées »"
)


def _written(profile: BankProfile, folded: str) -> str:
    """A mapped column's name as the mapping writes it."""
    return dict(profile.written).get(folded, folded)


def _mapped_header_missing(name: str, lines: list[str], profile: BankProfile) -> list[RowError]:
    """The header line that has most of the mapping's columns, and each column it lacks, named
    alone (not the whole mapping); [] when no line has any."""
    wanted = set(profile.signature)
    best: tuple[int, int, set[str]] = (0, 0, set())  # (found, index, names of the line)
    for index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        for delimiter in DELIMITERS:
            if delimiter in line:
                names = {fold(cell) for cell in _split(line, delimiter)}
                if len(wanted & names) > best[0]:
                    best = (len(wanted & names), index, names)
    found, index, names = best
    if not found:
        return []
    return [RowError(name, index + 1, _written(profile, column), "",
                     "colonne de la correspondance absente de l'en-tête")
            for column in profile.signature if column not in names]


# --- CFONB 120 ---------------------------------------------------------------------------------

def _read_cfonb(name: str, digest: str, text: str, encoding: str, account: str
                ) -> ParsedStatement | list[RowError]:
    read = cfonb.read_cfonb(name, text, account)
    if isinstance(read, list):
        return read
    own = next(iter(read.accounts)) if len(read.accounts) == 1 else ""
    return ParsedStatement(name, digest, "cfonb120", own, read.lines, encoding,
                           balance_gaps=read.balance_gaps)


# --- camt.053 -----------------------------------------------------------------------------------

class _Camt:
    """Element lookups in one camt.053 namespace."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def path(self, path: str) -> str:
        return "/".join(f"{{{self.namespace}}}{part}" for part in path.split("/"))

    def find(self, element: ET.Element, path: str) -> ET.Element | None:
        return element.find(self.path(path))

    def findall(self, element: ET.Element, path: str) -> list[ET.Element]:
        return element.findall(self.path(path))

    def text(self, element: ET.Element | None, *paths: str) -> str:
        """The stripped text of the first of `paths` that has some."""
        if element is None:
            return ""
        for path in paths:
            found = element.find(self.path(path))
            if found is not None and (found.text or "").strip():
                return (found.text or "").strip()
        return ""


def _read_camt(name: str, digest: str, data: bytes, account: str) -> ParsedStatement | list[RowError]:
    if re.search(rb"<!(DOCTYPE|ENTITY)", data):
        return [RowError(name, 1, "", "", "XML avec DTD ou entités : refusé (un camt.053 n'en a pas)")]
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return [RowError(name, exc.position[0], "", "", f"XML mal formé ({exc})")]
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    version = namespace.rsplit(":", 1)[-1]
    if local != "Document" or version not in CAMT_VERSIONS:
        return [RowError(name, 1, "", namespace or root.tag,
                         "fichier XML non reconnu : seuls les relevés camt.053.001.02 à "
                         "camt.053.001.08 sont pris en charge")]
    camt = _Camt(namespace)
    stmts = camt.findall(root, "BkToCstmrStmt/Stmt")
    if not stmts:
        return [RowError(name, 1, "Stmt", "", "aucun relevé (Stmt) dans le fichier")]
    lines: list[StatementLine] = []
    errors: list[RowError] = []
    ibans: set[str] = set()
    gaps: list[statements.BalanceGap] = []
    entry_index = 0
    for position, stmt in enumerate(stmts, start=1):
        own, column = _camt_account(camt, stmt)
        if own and account and own != account:
            errors.append(RowError(name, entry_index + 1, column, own,
                                   f"relevé d'un autre compte que {account}"))
        ibans.add(own or account)
        booked = money.ZERO
        for entry in camt.findall(stmt, "Ntry"):
            entry_index += 1
            found, problems = _entry_lines(camt, name, entry_index, entry, own or account)
            lines.extend(found)
            errors.extend(problems)
            booked += sum((line.amount for line in found), money.ZERO)
        balances = _balances(camt, name, entry_index, stmt, errors)
        if balances is not None and not errors:
            gap = statements.BalanceGap(own or account, camt.text(stmt, "Id") or str(position),
                                        balances[0], money.quantize(booked), balances[1])
            if gap.gap:
                gaps.append(gap)
    if errors:
        return errors
    own = ibans.pop() if len(ibans) == 1 else ""
    return ParsedStatement(name, digest, version, own, lines, "xml", balance_gaps=tuple(gaps))


def _camt_account(camt: _Camt, stmt: ET.Element) -> tuple[str, str]:
    """The statement's account (its IBAN, else its other identification) and where it was read."""
    iban = camt.text(stmt, "Acct/Id/IBAN")
    if iban:
        return identifiers.normalize_iban(iban), "Stmt/Acct/Id/IBAN"
    other = "".join(camt.text(stmt, "Acct/Id/Othr/Id").split()).upper()
    return other, "Stmt/Acct/Id/Othr/Id"


OPENING_BALANCES = ("OPBD", "PRCD")  # opening booked, else the previous closing booked
CLOSING_BALANCES = ("CLBD",)


def _balances(camt: _Camt, name: str, index: int, stmt: ET.Element, errors: list[RowError]
              ) -> tuple[Decimal, Decimal] | None:
    """(opening, closing) booked balances of a statement, signed; None when one is missing."""
    found: dict[str, Decimal] = {}
    for balance in camt.findall(stmt, "Bal"):
        code = camt.text(balance, "Tp/CdOrPrtry/Cd")
        if code not in OPENING_BALANCES + CLOSING_BALANCES or code in found:
            continue

        def error(column: str, value: str, reason: str) -> None:
            errors.append(RowError(name, index, column, value, reason))

        amount = _camt_amount(camt, balance, f"Bal[{code}]", error)
        sign = _camt_sign(camt.text(balance, "CdtDbtInd"), f"Bal[{code}]/CdtDbtInd", error)
        if amount is not None and sign is not None:
            found[code] = sign * amount
    opening = next((found[c] for c in OPENING_BALANCES if c in found), None)
    closing = found.get("CLBD")
    return None if opening is None or closing is None else (opening, closing)


def _is_true(text: str) -> bool:
    return text.strip().lower() in ("true", "1")


def _entry_lines(camt: _Camt, name: str, index: int, entry: ET.Element, account: str
                 ) -> tuple[list[StatementLine], list[RowError]]:
    """One line per transaction of a batch-booked entry (several TxDtls), else one for the entry."""
    errors: list[RowError] = []

    def error(column: str, value: str, reason: str) -> None:
        errors.append(RowError(name, index, column, value, reason))

    status = camt.text(entry, "Sts/Cd", "Sts")
    if not status:
        error("Ntry/Sts", "", "statut de l'écriture (Sts) absent")
        return [], errors
    if status != "BOOK":  # PDNG (pending), INFO, FUTR: not booked
        return [], []
    amount = _camt_amount(camt, entry, "Ntry", error)
    sign = _camt_sign(camt.text(entry, "CdtDbtInd"), "Ntry/CdtDbtInd", error)
    booking = _camt_date(camt.text(entry, "BookgDt/Dt", "BookgDt/DtTm"), "Ntry/BookgDt", error, True)
    value_date = _camt_date(camt.text(entry, "ValDt/Dt", "ValDt/DtTm"), "Ntry/ValDt", error, False)
    entry_ref = camt.text(entry, "AcctSvcrRef") or camt.text(entry, "NtryRef")
    details = camt.findall(entry, "NtryDtls/TxDtls")
    reversed_entry = _is_true(camt.text(entry, "RvslInd"))
    entry_charges = _charges(camt, entry, "Ntry", error)
    if errors or amount is None or sign is None or booking is None:
        return [], errors
    entry_raw = {
        "Ntry": str(index), "Sts": status, "Amt": camt.text(entry, "Amt"),
        "CdtDbtInd": camt.text(entry, "CdtDbtInd"), "BookgDt": booking.isoformat(),
        "ValDt": value_date.isoformat() if value_date else "",
        "AcctSvcrRef": camt.text(entry, "AcctSvcrRef"), "NtryRef": camt.text(entry, "NtryRef"),
        "AddtlNtryInf": camt.text(entry, "AddtlNtryInf"), "BkTxCd": "/".join(filter(None, (
            camt.text(entry, "BkTxCd/Domn/Cd"), camt.text(entry, "BkTxCd/Domn/Fmly/Cd"),
            camt.text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd")))) or camt.text(entry, "BkTxCd/Prtry/Cd"),
    }
    if reversed_entry:
        entry_raw["RvslInd"] = "true"
    batch_id = camt.text(entry, "NtryDtls/Btch/PmtInfId")
    if len(details) <= 1:
        parts = [(details[0] if details else None, sign * amount, entry_ref)]
    else:
        parts = []
        for position, detail in enumerate(details, start=1):
            where = f"TxDtls[{position}]"
            tx_amount = _camt_amount(camt, detail, where, error, ("Amt", "AmtDtls/TxAmt/Amt"))
            tx_sign = _camt_sign(camt.text(detail, "CdtDbtInd") or camt.text(entry, "CdtDbtInd"),
                                 f"{where}/CdtDbtInd", error)
            if tx_amount is not None and tx_sign is not None:
                parts.append((detail, tx_sign * tx_amount, f"{entry_ref}/{position}" if entry_ref else ""))
        total = money.total([signed for _, signed, _ in parts])
        if not errors and total != sign * amount:
            error("Ntry/Amt", camt.text(entry, "Amt"),
                  f"écriture groupée : la somme des {len(details)} transactions ({total}) "
                  f"ne fait pas le montant de l'écriture")
        if errors:
            return [], errors
    lines = []
    for position, (detail, signed, bank_id) in enumerate(parts, start=1):
        signed = signed if signed else money.ZERO  # no "-0.00"
        returned = detail is not None and camt.find(detail, "RtrInf") is not None
        reversal = reversed_entry or returned
        fields = _detail_fields(camt, detail, incoming=signed >= 0, reversal=reversal)
        where = f"TxDtls[{position}]" if len(parts) > 1 else "Ntry/NtryDtls/TxDtls"
        charges = _charges(camt, detail, where, error) if detail is not None else None
        if charges is None and len(parts) == 1:
            charges = entry_charges
        payment_id = (camt.text(detail, "Refs/PmtInfId") if detail is not None else "") or batch_id
        # the remittance text, else the bank's own text of the movement (which quotes the
        # structured reference when there is one), else the structured references, else the
        # payment's batch id: never an empty label when the file gives any text
        label = (fields["Ustrd"] or _clean(camt.text(detail, "AddtlTxInf"))
                 or _clean(entry_raw["AddtlNtryInf"]) or fields["Strd"] or payment_id)
        raw = {**entry_raw, **fields}
        if payment_id:
            raw["PmtInfId"] = payment_id
        if returned:
            raw["RtrInf"] = camt.text(detail, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry") or "oui"
        if charges is not None:
            raw["Chrgs"] = f"{charges:.2f}"
        if len(parts) > 1:
            raw["TxDtls"] = str(position)
        lines.append(StatementLine(
            account=account, booking_date=booking, value_date=value_date, amount=signed, label=label,
            counterparty=fields["counterparty"], counterparty_iban=fields["counterparty_iban"],
            reference=fields["reference"], bank_id=bank_id, line=index, raw=raw,
            reversal=reversal, charges=charges,
        ))
    if errors:
        return [], errors
    return lines, []


def _charges(camt: _Camt, element: ET.Element, where: str, error) -> Decimal | None:
    """The charges reported on an entry or a transaction (Chrgs), positive, or None.

    camt.053.001.02 and .03 repeat `Chrgs`, each with its `Amt`; from .04 on, one `Chrgs` holds
    `TtlChrgsAndTaxAmt` and a `Rcrd` per charge, each with its `Amt`."""
    blocks = camt.findall(element, "Chrgs")
    if not blocks:
        return None
    total = money.ZERO
    for block in blocks:
        records = camt.findall(block, "Rcrd")
        if records:
            amounts = [(record, "Amt") for record in records]
        elif camt.find(block, "Amt") is not None:
            amounts = [(block, "Amt")]
        else:
            amounts = [(block, "TtlChrgsAndTaxAmt")]
        for node, path in amounts:
            read = _camt_amount(camt, node, f"{where}/Chrgs", error, (path,))
            if read is not None:
                total += read
    return money.quantize(total)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _detail_fields(camt: _Camt, detail: ET.Element | None, *, incoming: bool, reversal: bool = False
                   ) -> dict[str, str]:
    """Remittance, references and the other party of one transaction (TxDtls).

    The other party is the debtor of a credit and the creditor of a debit, except for a reversal
    or a return, which keeps the parties of the movement it undoes: a reversed credit (a debit)
    names its payer in `Dbtr`."""
    if detail is None:
        return dict.fromkeys(("Ustrd", "Strd", "EndToEndId", "CdtrRef", "reference", "counterparty",
                              "counterparty_iban"), "")
    ustrd = _clean(" ".join((u.text or "") for u in camt.findall(detail, "RmtInf/Ustrd")))
    end_to_end = camt.text(detail, "Refs/EndToEndId")
    if end_to_end.upper() == "NOTPROVIDED":
        end_to_end = ""
    structured = [_clean(node.text or "") for block in camt.findall(detail, "RmtInf/Strd")
                  for path in ("CdtrRefInf/Ref", "RfrdDocInf/Nb", "AddtlRmtInf")
                  for node in camt.findall(block, path)]
    structured = list(dict.fromkeys(text for text in structured if text))
    creditor_ref = camt.text(detail, "RmtInf/Strd/CdtrRefInf/Ref")
    party = "Dbtr" if incoming != reversal else "Cdtr"
    other = "Cdtr" if party == "Dbtr" else "Dbtr"
    name = camt.text(detail, f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm",
                     f"RltdPties/Ultmt{party}/Nm", f"RltdPties/Ultmt{party}/Pty/Nm")
    account = _party_account(camt, detail, party)
    if reversal and not name:  # a reversal that names only the other party
        name = camt.text(detail, f"RltdPties/{other}/Nm", f"RltdPties/{other}/Pty/Nm")
        account = account or _party_account(camt, detail, other)
    references = [end_to_end, *[text for text in structured if " " not in text]]
    return {
        "Ustrd": ustrd, "Strd": " ".join(structured), "EndToEndId": end_to_end, "CdtrRef": creditor_ref,
        "InstrId": camt.text(detail, "Refs/InstrId"), "TxId": camt.text(detail, "Refs/TxId"),
        "reference": " ".join(dict.fromkeys(r for r in references if r)),
        "counterparty": _clean(name), "counterparty_iban": account,
    }


def _party_account(camt: _Camt, detail: ET.Element, party: str) -> str:
    """A party's account: its IBAN, else its other identification (up to 34 characters)."""
    iban = camt.text(detail, f"RltdPties/{party}Acct/Id/IBAN")
    if iban:
        return identifiers.normalize_iban(iban)
    return "".join(camt.text(detail, f"RltdPties/{party}Acct/Id/Othr/Id").split()).upper()[:34]


def _camt_amount(camt: _Camt, element: ET.Element, where: str, error, paths: tuple[str, ...] = ("Amt",)
                 ) -> Decimal | None:
    node = next((n for n in (camt.find(element, p) for p in paths) if n is not None), None)
    if node is None:
        error(f"{where}/Amt", "", "montant absent")
        return None
    currency = node.get("Ccy", "")
    if currency != "EUR":
        error(f"{where}/Amt", f"{node.text} {currency}", "devise autre que l'euro : non prise en charge")
        return None
    try:
        return money.parse_iso_amount(node.text or "")
    except statements.AmountError as exc:
        error(f"{where}/Amt", node.text or "", str(exc))
        return None


def _camt_sign(indicator: str, where: str, error) -> int | None:
    if indicator in ("CRDT", "DBIT"):
        return 1 if indicator == "CRDT" else -1
    error(where, indicator, "sens attendu : CRDT ou DBIT")
    return None


def _camt_date(text: str, where: str, error, required: bool) -> date | None:
    """A date (`Dt`), or the Paris calendar date of a date-time (`DtTm`: with an offset or "Z" it
    is converted, without one it is Paris time already): 2014-01-04T23:00:00Z is the 5th."""
    if not text:
        if required:
            error(where, "", "date absente")
        return None
    try:
        if "T" in text:
            return business_date(parse_instant(text))
        return statements.parse_date_fr(text, ("YYYY-MM-DD",))
    except statements.DateFormatError as exc:
        error(where, text, str(exc))
        return None
