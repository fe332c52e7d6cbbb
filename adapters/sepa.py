"""Trainer payouts as a SEPA credit transfer file (pain.001), built with `sepaxml`.

`build_pain001` checks the batch, cleans every text to the EPC Latin character set
(`backoffice.sepa_text`), drives `sepaxml` and validates the result (`validate_pain001`) before
returning the bytes to upload to the bank. Same inputs, same bytes.

Versions: `pain.001.001.03` (default, what French bank channels document most) and
`pain.001.001.09` (ISO 2019: `ReqdExctnDt/Dt`, `BICFI`, and the creditor address written
structured — `StrtNm`, `PstCd`, `TwnNm`, `Ctry` — as required from November 2026). In .03 the
EPC subset only allows an unstructured address (`AdrLine`), which is being phased out and is
optional for SEPA: the creditor address is therefore not written in .03.

How `sepaxml` 2.7.0 is driven, and its pitfalls:
  * batch mode (`"batch": True`): one `PmtInf` per execution date (we pass one date), so
    `BtchBookg` is `true` — one debit line on our statement for the whole file;
  * `clean=False`: its own cleaning (`text_unidecode` + silent cut) keeps `&` and turns `n°`
    into `ndeg`; we clean beforehand with `sepa_text` instead;
  * amounts are integer cents (a float is refused): converted exactly from `Decimal`;
  * it draws `MsgId` from the wall clock (12-hour!) plus random hex, `CreDtTm` from
    `datetime.now()` and each `PmtInfId` from the name plus random hex: `_DeterministicTransfer`
    overwrites all three (`MsgId` = `msg_id`, `CreDtTm` = `created_at` in Paris time,
    `PmtInfId` = `msg_id`), which relies on two private hooks of 2.7.0 (`_xml`,
    `_finalize_batch`) — `tests/sepa/test_pain001.py` checks that two builds give the same bytes;
  * with no `endtoend_id` it writes `NOTPROVIDED`, with no debtor BIC an empty `FinInstnId`:
    both are always given here;
  * its `validate=True` hides the reason of a failure: we validate ourselves.

The XSDs are the ISO 20022 message schemas shipped inside the `sepaxml` wheel
(`sepaxml/schemas/pain.001.001.03.xsd`, `.09.xsd`; sepaxml is MIT, the schemas are the ISO 20022
Registration Authority's published message definitions), read from the installed package.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sepaxml
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaTransfer

from backoffice.business_days import is_target2_business_day
from backoffice.dates import PARIS, business_date
from backoffice.money import quantize
from backoffice.sepa_text import ALLOWED, sepa_identifier, sepa_text

if TYPE_CHECKING:
    import xmlschema

Version = Literal["03", "09"]
SCHEMAS: dict[str, str] = {"03": "pain.001.001.03", "09": "pain.001.001.09"}
SCHEMA_DIR = Path(sepaxml.__file__).resolve().parent / "schemas"

NAME_LENGTH = 70
REMITTANCE_LENGTH = 140
ID_LENGTH = 35
STREET_LENGTH = 70
POSTCODE_LENGTH = 16
TOWN_LENGTH = 35
ADDRESS_COUNTRY = "FR"  # the address tuple has no country: trainers are paid at a French address
MAX_AMOUNT = Decimal("999999999.99")  # EPC: 0.01 to 999 999 999.99 EUR
_AMOUNT_TEXT = re.compile(r"\d{1,9}\.\d{2}")
_ID_TAGS = ("MsgId", "PmtInfId", "InstrId", "EndToEndId")


class SepaValidationError(ValueError):
    """A pain.001 file that the bank would refuse; the message names the problem (French)."""


@dataclass(frozen=True, slots=True)
class Debtor:
    """The marketplace: the account debited."""
    name: str
    iban: str
    bic: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """One payout to a trainer."""
    end_to_end_id: str         # the payout id, e.g. "PO-2026-000042": comes back in camt.053
    creditor_name: str         # the account holder's name, as the bank knows it (VoP)
    creditor_iban: str
    creditor_bic: str | None
    amount: Decimal            # > 0, at most 2 decimals
    remittance: str            # e.g. "Session S-2026-0012 Facture F-DUP-2026-017"
    creditor_address: tuple[str, str, str] | None = None   # (street, postcode, town), .09 only


@dataclass(frozen=True, slots=True)
class _Payment:
    end_to_end_id: str
    name: str
    iban: str
    bic: str | None
    cents: int
    remittance: str
    address: dict[str, str] | None


class _DeterministicTransfer(SepaTransfer):
    """`SepaTransfer` with the MsgId, CreDtTm and PmtInfId it would take from the clock and a
    random generator replaced by ours."""

    def __init__(self, config: dict[str, Any], schema: str, *, msg_id: str, created_at: str,
                 pmt_inf_id: str) -> None:
        self._pmt_inf_id = pmt_inf_id
        super().__init__(config, schema=schema, clean=False)
        self.msg_id = msg_id
        header = self._xml.find("CstmrCdtTrfInitn/GrpHdr")
        header.find("MsgId").text = msg_id
        header.find("CreDtTm").text = created_at

    def _finalize_batch(self) -> None:
        super()._finalize_batch()
        payment_infos = self._xml.findall("CstmrCdtTrfInitn/PmtInf")
        if len(payment_infos) != 1:  # one execution date per file, by construction
            raise AssertionError(f"expected one PmtInf, sepaxml built {len(payment_infos)}")
        payment_infos[0].find("PmtInfId").text = self._pmt_inf_id


def build_pain001(debtor: Debtor, transfers: list[Transfer], *, msg_id: str, execution_date: date,
                  created_at: datetime, version: Version = "03") -> bytes:
    """The pain.001 file paying `transfers` from `debtor`'s account on `execution_date`.

    Refuses (ValueError, French message) an empty batch, a non-positive amount or one with more
    than two decimals, an invalid or non-SEPA IBAN, an invalid BIC, a missing name or
    remittance, a duplicated EndToEndId, an identifier that is not a clean SEPA identifier
    (it would not come back unchanged in the bank statement), a naive `created_at`, and an
    execution date before the creation date or on a TARGET2 closing day.
    """
    _schema(version)
    if not transfers:
        raise ValueError("lot de virements vide : aucun fichier SEPA à produire")
    _check_identifier(msg_id, "identifiant de message (MsgId)")
    created_text = _creation_time(created_at)
    _check_execution_date(execution_date, created_at)

    debtor_name = sepa_text(debtor.name, NAME_LENGTH)
    if not debtor_name:
        raise ValueError("nom du donneur d'ordre manquant")
    config = {
        "name": debtor_name,
        "IBAN": _iban(debtor.iban, "du donneur d'ordre"),
        "BIC": _bic(debtor.bic, "du donneur d'ordre"),
        "batch": True,
        "currency": "EUR",
    }
    payments = [_payment(transfer, version) for transfer in transfers]
    seen: set[str] = set()
    for payment in payments:
        if payment.end_to_end_id in seen:
            raise ValueError(f"virement {payment.end_to_end_id} présent deux fois dans le lot")
        seen.add(payment.end_to_end_id)

    document = _DeterministicTransfer(config, SCHEMAS[version], msg_id=msg_id,
                                      created_at=created_text, pmt_inf_id=msg_id)
    for payment in payments:
        fields: dict[str, Any] = {
            "name": payment.name,
            "IBAN": payment.iban,
            "amount": payment.cents,
            "execution_date": execution_date,
            "description": payment.remittance,
            "endtoend_id": payment.end_to_end_id,
        }
        if payment.bic:
            fields["BIC"] = payment.bic
        if payment.address:
            fields["address"] = payment.address
        document.add_payment(fields)
    xml = document.export(validate=False)
    validate_pain001(xml, version)
    return xml


def validate_pain001(xml: bytes, version: Version) -> None:
    """Raise SepaValidationError unless `xml` is a pain.001 of `version` a SEPA bank accepts.

    Checks the XSD, then what the XSD does not: the EPC character set in every value, the
    identifiers' "/" rules, EUR amounts with two decimals, and the transaction counts and
    control sums of the group header and of each payment information block.
    """
    schema = _schema(version)
    if xml.startswith(b"\xef\xbb\xbf"):
        raise SepaValidationError("le fichier commence par une marque d'ordre d'octets (BOM), interdite")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise SepaValidationError(f"XML mal formé : {exc}") from exc
    namespace = f"urn:iso:std:iso:20022:tech:xsd:{SCHEMAS[version]}"
    if root.tag != f"{{{namespace}}}Document":
        raise SepaValidationError(f"ce n'est pas un document {SCHEMAS[version]} (racine {root.tag})")
    error = next(_xsd(schema).iter_errors(root), None)
    if error is not None:
        element = error.elem
        value = f", valeur {element.text!r}" if element is not None and len(element) == 0 else ""
        raise SepaValidationError(f"non conforme au schéma {SCHEMAS[version]} : "
                                  f"{_local(str(error.reason))} (élément {_local(str(error.path))}{value})")
    _check_epc_rules(root, namespace)


# --- the batch ---------------------------------------------------------------------------

def _schema(version: str) -> str:
    if version not in SCHEMAS:
        raise ValueError(f"version pain.001 inconnue : {version!r} (attendu « 03 » ou « 09 »)")
    return SCHEMAS[version]


def _check_identifier(value: str, what: str) -> None:
    if not value or sepa_identifier(value, ID_LENGTH) != value:
        raise ValueError(f"{what} invalide : {value!r} (35 caractères au plus, lettres, chiffres et "
                         "/ - ? : ( ) . , ' + sans espace, ni « / » en début ou fin, ni « // »)")


def _creation_time(created_at: datetime) -> str:
    if created_at.tzinfo is None:
        raise ValueError("l'heure de création du fichier doit porter un fuseau horaire")
    return created_at.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M:%S")


def _check_execution_date(execution_date: date, created_at: datetime) -> None:
    if isinstance(execution_date, datetime):
        raise TypeError("la date d'exécution est une date, pas une date-heure")
    if execution_date < business_date(created_at):
        raise ValueError(f"date d'exécution {execution_date:%d/%m/%Y} antérieure à la création du fichier")
    if not is_target2_business_day(execution_date):
        raise ValueError(f"date d'exécution {execution_date:%d/%m/%Y} : pas un jour ouvré TARGET2 "
                         "(week-end, 1er janvier, Vendredi saint, lundi de Pâques, 1er mai, "
                         "25 ou 26 décembre)")


def _iban(text: str, whose: str) -> str:
    try:
        iban = IBAN(text, validate_bban=True)
    except SchwiftyException as exc:
        raise ValueError(f"IBAN {whose} invalide ({exc})") from exc
    if not iban.in_sepa_zone:
        raise ValueError(f"IBAN {whose} hors de la zone SEPA ({iban.country_code})")
    return iban.compact


def iban_problem(text: str) -> str | None:
    """Why a creditor's IBAN cannot receive a SEPA transfer (checksum, BBAN, zone), or None."""
    try:
        _iban(text, "du bénéficiaire")
    except ValueError as exc:
        return str(exc)
    return None


def _bic(text: str, whose: str) -> str:
    try:
        return BIC(text).compact
    except SchwiftyException as exc:
        raise ValueError(f"BIC {whose} invalide ({exc})") from exc


def _cents(amount: Decimal, end_to_end_id: str) -> int:
    if not isinstance(amount, Decimal):
        raise TypeError(f"montant du virement {end_to_end_id} : Decimal attendu, "
                        f"{type(amount).__name__} reçu")
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"montant du virement {end_to_end_id} : doit être strictement positif "
                         f"(reçu {amount})")
    if quantize(amount) != amount:
        raise ValueError(f"montant du virement {end_to_end_id} : plus de deux décimales ({amount})")
    if amount > MAX_AMOUNT:
        raise ValueError(f"montant du virement {end_to_end_id} : au-delà du maximum SEPA ({amount})")
    return int(amount.scaleb(2))  # exact: a whole number of cents, checked above


def _payment(transfer: Transfer, version: str) -> _Payment:
    e2e = transfer.end_to_end_id
    _check_identifier(e2e, "identifiant de bout en bout (EndToEndId)")
    name = sepa_text(transfer.creditor_name, NAME_LENGTH)
    if not name:
        raise ValueError(f"nom du bénéficiaire manquant pour le virement {e2e}")
    remittance = sepa_text(transfer.remittance, REMITTANCE_LENGTH)
    if not remittance:
        raise ValueError(f"libellé manquant pour le virement {e2e}")
    return _Payment(
        end_to_end_id=e2e,
        name=name,
        iban=_iban(transfer.creditor_iban, f"du bénéficiaire du virement {e2e}"),
        bic=_bic(transfer.creditor_bic, f"du bénéficiaire du virement {e2e}")
        if transfer.creditor_bic else None,
        cents=_cents(transfer.amount, e2e),
        remittance=remittance,
        address=_address(transfer.creditor_address, e2e) if version == "09" else None,
    )


def _address(address: tuple[str, str, str] | None, e2e: str) -> dict[str, str] | None:
    """sepaxml's structured address (written in ISO order: StrtNm, PstCd, TwnNm, Ctry)."""
    if address is None:
        return None
    street, postcode, town = (sepa_text(address[0], STREET_LENGTH),
                              sepa_text(address[1], POSTCODE_LENGTH), sepa_text(address[2], TOWN_LENGTH))
    if not town:
        raise ValueError(f"adresse du bénéficiaire du virement {e2e} : ville manquante")
    structured = {"town": town, "country": ADDRESS_COUNTRY}
    if street:
        structured["street_name"] = street
    if postcode:
        structured["postcode"] = postcode
    return structured


# --- validation ----------------------------------------------------------------------------

@cache
def _xsd(schema: str) -> xmlschema.XMLSchema:
    import xmlschema  # 0.15 s to import: paid by the runs that write a SEPA file, not every run

    return xmlschema.XMLSchema(str(SCHEMA_DIR / f"{schema}.xsd"))


def _local(text: str) -> str:
    """XSD messages without the namespace: "{urn:...}IBAN" → "IBAN"."""
    return re.sub(r"\{(?:urn|https?):[^}]*\}", "", text)


def _check_epc_rules(root: ET.Element, namespace: str) -> None:
    ns = {"p": namespace}
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        for value in [element.text or "", *element.attrib.values()]:
            stripped = value.strip()
            bad = sorted({char for char in stripped if char not in ALLOWED})
            if bad:
                raise SepaValidationError(f"caractères hors du jeu SEPA dans <{name}> : "
                                          f"{' '.join(repr(c) for c in bad)} ({stripped!r})")
        if name in _ID_TAGS and element.text and (
                element.text.startswith("/") or element.text.endswith("/") or "//" in element.text):
            raise SepaValidationError(f"identifiant <{name}> {element.text!r} : « / » en début ou en fin, "
                                      "ou « // », interdits")
    initiation = root.find("p:CstmrCdtTrfInitn", ns)
    all_amounts: list[Decimal] = []
    for block in initiation.findall("p:PmtInf", ns):
        block_id = block.findtext("p:PmtInfId", namespaces=ns)
        amounts = []
        for amount in block.findall("p:CdtTrfTxInf/p:Amt/p:InstdAmt", ns):
            if amount.get("Ccy") != "EUR":
                raise SepaValidationError(f"montant en {amount.get('Ccy')} dans {block_id} : "
                                          "seul l'euro est SEPA")
            if not _AMOUNT_TEXT.fullmatch(amount.text or ""):
                raise SepaValidationError(f"montant {amount.text!r} dans {block_id} : "
                                          "deux décimales attendues")
            amounts.append(Decimal(amount.text))
        _check_totals(block, ns, amounts, f"bloc {block_id}")
        all_amounts += amounts
    _check_totals(initiation.find("p:GrpHdr", ns), ns, all_amounts, "en-tête du fichier")


def _check_totals(parent: ET.Element, ns: dict[str, str], amounts: list[Decimal], where: str) -> None:
    count = parent.findtext("p:NbOfTxs", namespaces=ns)
    if count != str(len(amounts)):
        raise SepaValidationError(f"{where} : NbOfTxs vaut {count}, "
                                  f"le fichier compte {len(amounts)} virements")
    control = parent.findtext("p:CtrlSum", namespaces=ns)
    expected = sum(amounts, Decimal("0.00"))
    if control is None or Decimal(control) != expected:
        raise SepaValidationError(f"{where} : CtrlSum vaut {control}, la somme des montants est {expected}")
