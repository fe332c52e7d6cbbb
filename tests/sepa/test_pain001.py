import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from adapters.sepa import (
    SCHEMA_DIR,
    Debtor,
    SepaValidationError,
    Transfer,
    build_pain001,
    validate_pain001,
)

DEBTOR = Debtor(name="Ganapati Formation SAS", iban="FR76 3000 4000 0100 0123 4567 830", bic="BNPAFRPP")
TRANSFERS = [
    Transfer(end_to_end_id="PO-2026-000042", creditor_name="Éloïse N’Diaye & Associés",
             creditor_iban="FR7630003012340001234567854", creditor_bic=None,
             amount=Decimal("630.00"),
             remittance="Session S-2026-0012 Facture F-DUP-2026-017 — n° 3 « Excel » 630 €",
             creditor_address=("12, rue de la Paix", "75002", "Paris")),
    Transfer(end_to_end_id="PO-2026-000043", creditor_name="Marc Dupont",
             creditor_iban="DE89370400440532013000", creditor_bic="COBADEFFXXX",
             amount=Decimal("1234.5"), remittance="Session S-2026-0013 Facture F-MD-2026-004"),
    Transfer(end_to_end_id="PO-2026-000044", creditor_name="Chloé Lefèvre",
             creditor_iban="FR76 1695 8000 0100 0123 4567 834", creditor_bic="QNTOFRP1XXX",
             amount=Decimal("0.10"), remittance="Régularisation session S-2026-0014",
             creditor_address=("", "", "Saint-Étienne")),
]
CREATED = datetime(2026, 9, 15, 8, 30, 5, tzinfo=UTC)   # 10:30:05 in Paris
EXECUTION = date(2026, 9, 16)
MSG_ID = "PAY-20260915-01"


def build(transfers=None, version="03", **overrides):
    arguments = {"msg_id": MSG_ID, "execution_date": EXECUTION, "created_at": CREATED,
                 "version": version} | overrides
    debtor = arguments.pop("debtor", DEBTOR)
    return build_pain001(debtor, TRANSFERS if transfers is None else transfers, **arguments)


def ns(version):
    return {"p": f"urn:iso:std:iso:20022:tech:xsd:pain.001.001.{version}"}


@pytest.mark.parametrize("version", ["03", "09"])
def test_a_three_transfer_batch_is_valid_and_reads_back(version):
    xml = build(version=version)
    validate_pain001(xml, version)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')   # no BOM
    root = ET.fromstring(xml)
    n = ns(version)
    assert root.tag == f"{{{n['p']}}}Document"
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", n)
    assert header.findtext("p:MsgId", namespaces=n) == MSG_ID
    assert header.findtext("p:CreDtTm", namespaces=n) == "2026-09-15T10:30:05"
    assert header.findtext("p:NbOfTxs", namespaces=n) == "3"
    assert header.findtext("p:CtrlSum", namespaces=n) == "1864.60"
    assert header.findtext("p:InitgPty/p:Nm", namespaces=n) == "Ganapati Formation SAS"

    [block] = root.findall("p:CstmrCdtTrfInitn/p:PmtInf", n)   # one PmtInf per execution date
    assert block.findtext("p:PmtInfId", namespaces=n) == MSG_ID
    assert block.findtext("p:PmtMtd", namespaces=n) == "TRF"
    assert block.findtext("p:BtchBookg", namespaces=n) == "true"
    assert block.findtext("p:NbOfTxs", namespaces=n) == "3"
    assert block.findtext("p:CtrlSum", namespaces=n) == "1864.60"
    assert block.findtext("p:PmtTpInf/p:SvcLvl/p:Cd", namespaces=n) == "SEPA"
    execution = "p:ReqdExctnDt" if version == "03" else "p:ReqdExctnDt/p:Dt"
    assert block.findtext(execution, namespaces=n) == "2026-09-16"
    assert block.findtext("p:Dbtr/p:Nm", namespaces=n) == "Ganapati Formation SAS"
    assert block.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=n) == "FR7630004000010001234567830"
    bic = "p:BIC" if version == "03" else "p:BICFI"
    assert block.findtext(f"p:DbtrAgt/p:FinInstnId/{bic}", namespaces=n) == "BNPAFRPP"
    assert block.findtext("p:ChrgBr", namespaces=n) == "SLEV"

    transactions = block.findall("p:CdtTrfTxInf", n)
    read = [(tx.findtext("p:PmtId/p:EndToEndId", namespaces=n),
             tx.findtext("p:Amt/p:InstdAmt", namespaces=n),
             tx.find("p:Amt/p:InstdAmt", n).get("Ccy"),
             tx.findtext("p:Cdtr/p:Nm", namespaces=n),
             tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=n),
             tx.findtext(f"p:CdtrAgt/p:FinInstnId/{bic}", namespaces=n),
             tx.findtext("p:RmtInf/p:Ustrd", namespaces=n)) for tx in transactions]
    assert read == [
        ("PO-2026-000042", "630.00", "EUR", "Eloise N'Diaye + Associes", "FR7630003012340001234567854", None,
         "Session S-2026-0012 Facture F-DUP-2026-017 - no 3 'Excel' 630 EUR"),
        ("PO-2026-000043", "1234.50", "EUR", "Marc Dupont", "DE89370400440532013000", "COBADEFFXXX",
         "Session S-2026-0013 Facture F-MD-2026-004"),
        ("PO-2026-000044", "0.10", "EUR", "Chloe Lefevre", "FR7616958000010001234567834", "QNTOFRP1XXX",
         "Regularisation session S-2026-0014"),
    ]
    assert sum(Decimal(amount) for _, amount, *_ in read) == Decimal("1864.60")

    addresses = [tx.find("p:Cdtr/p:PstlAdr", n) for tx in transactions]
    if version == "03":   # EPC V3 only allows unstructured lines: not written
        assert addresses == [None, None, None]
    else:
        fields = [[(child.tag.rsplit("}", 1)[1], child.text) for child in address]
                  if address is not None else None for address in addresses]
        assert fields == [
            [("StrtNm", "12, rue de la Paix"), ("PstCd", "75002"), ("TwnNm", "Paris"), ("Ctry", "FR")],
            None,
            [("TwnNm", "Saint-Etienne"), ("Ctry", "FR")],
        ]


@pytest.mark.parametrize("version", ["03", "09"])
def test_the_bundled_xsd_agrees_with_an_independent_validator(version):
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / f"pain.001.001.{version}.xsd")))
    assert schema.validate(etree.fromstring(build(version=version))), schema.error_log


@pytest.mark.parametrize("version", ["03", "09"])
def test_same_inputs_give_identical_bytes(version):
    first = build(version=version)
    assert build(version=version) == first
    other = build(version=version, msg_id="PAY-20260915-02")
    assert other != first
    assert other.replace(b"PAY-20260915-02", b"PAY-20260915-01") == first


def test_amounts_are_exact_decimals():
    cents = [Transfer(f"PO-2026-{n:06d}", "Marc Dupont", "DE89370400440532013000", None,
                      Decimal("0.10") if n % 2 else Decimal("0.20"), "Test") for n in range(1, 31)]
    root = ET.fromstring(build(cents))
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns("03")) == "4.50"
    biggest = [replace(TRANSFERS[1], amount=Decimal("999999999.99"))]
    assert b">999999999.99</InstdAmt>" in build(biggest)


def test_long_texts_are_cut_to_the_sepa_lengths():
    long = replace(TRANSFERS[1], creditor_name="Société " + "Formation " * 10,
                   remittance="Session S-2026-0013 " * 10)
    root = ET.fromstring(build([long]))
    n = ns("03")
    name = root.findtext(".//p:Cdtr/p:Nm", namespaces=n)
    remittance = root.findtext(".//p:Ustrd", namespaces=n)
    assert len(name) <= 70 and name.startswith("Societe Formation") and name.endswith("Formation")
    assert len(remittance) <= 140 and remittance.endswith("S-2026-0013")


@pytest.mark.parametrize(("change", "message"), [
    ({"transfers": []}, "lot de virements vide"),
    ({"amount": Decimal("0.00")}, "strictement positif"),
    ({"amount": Decimal("-10.00")}, "strictement positif"),
    ({"amount": Decimal("NaN")}, "strictement positif"),
    ({"amount": Decimal("10.005")}, "plus de deux décimales"),
    ({"amount": Decimal("1000000000.00")}, "maximum SEPA"),
    ({"creditor_iban": "FR7630003012340001234567855"},
     "IBAN du bénéficiaire du virement PO-2026-000043 invalide"),
    ({"creditor_iban": "FR76300030123400012345678"}, "IBAN du bénéficiaire"),
    ({"creditor_iban": "BR1800360305000010009795493C1"}, "hors de la zone SEPA"),
    ({"creditor_bic": "COBADEF"}, "BIC du bénéficiaire"),
    ({"creditor_name": ""}, "nom du bénéficiaire manquant pour le virement PO-2026-000043"),
    ({"creditor_name": "   "}, "nom du bénéficiaire manquant"),
    ({"creditor_name": "中文"}, "nom du bénéficiaire manquant"),
    ({"remittance": " "}, "libellé manquant"),
    ({"end_to_end_id": "PO 2026 43"}, "EndToEndId"),
    ({"end_to_end_id": "PO-2026-" + "0" * 30}, "EndToEndId"),
    ({"end_to_end_id": "/PO-2026-000043"}, "EndToEndId"),
    ({"end_to_end_id": ""}, "EndToEndId"),
    ({"msg_id": "PAY 2026"}, "MsgId"),
    ({"execution_date": date(2026, 12, 25)}, "pas un jour ouvré TARGET2"),
    ({"execution_date": date(2026, 9, 19)}, "pas un jour ouvré TARGET2"),
    ({"execution_date": date(2026, 9, 14)}, "antérieure à la création"),
    ({"created_at": datetime(2026, 9, 15, 10, 0)}, "fuseau horaire"),  # noqa: DTZ001 - the point
    ({"version": "10"}, "version pain.001 inconnue"),
    ({"debtor": replace(DEBTOR, iban="FR00 0000")}, "IBAN du donneur d'ordre invalide"),
    ({"debtor": replace(DEBTOR, bic="")}, "BIC du donneur d'ordre invalide"),
    ({"debtor": replace(DEBTOR, name="@@")}, "nom du donneur d'ordre manquant"),
    ({"transfers": [TRANSFERS[1], replace(TRANSFERS[2], end_to_end_id="PO-2026-000043")]},
     "PO-2026-000043 présent deux fois"),
    ({"version": "09", "creditor_address": ("1 rue X", "75001", " ")}, "ville manquante"),
])
def test_rejections(change, message):
    transfer_fields = {"amount", "creditor_iban", "creditor_bic", "creditor_name", "remittance",
                       "end_to_end_id", "creditor_address"}
    transfer = replace(TRANSFERS[1], **{k: v for k, v in change.items() if k in transfer_fields})
    arguments = {k: v for k, v in change.items() if k not in transfer_fields}
    transfers = arguments.pop("transfers", [TRANSFERS[0], transfer])
    with pytest.raises(ValueError, match=message):
        build(transfers, **arguments)


def test_a_float_amount_is_refused():
    with pytest.raises(TypeError, match="Decimal attendu"):
        build([replace(TRANSFERS[1], amount=12.5)])


def _tampered(old: bytes, new: bytes, version="03") -> bytes:
    xml = build(version=version)
    assert old in xml
    return xml.replace(old, new, 1)


@pytest.mark.parametrize(("xml", "version", "message"), [
    (lambda: _tampered(b"<CtrlSum>1864.60</CtrlSum>", b"<CtrlSum>1864.61</CtrlSum>"), "03",
     "en-tête du fichier : CtrlSum vaut 1864.61"),
    (lambda: _tampered(b"<NbOfTxs>3</NbOfTxs><CtrlSum>1864.60</CtrlSum><PmtTpInf>",
                       b"<NbOfTxs>2</NbOfTxs><CtrlSum>1864.60</CtrlSum><PmtTpInf>"), "03",
     "bloc PAY-20260915-01 : NbOfTxs vaut 2"),
    (lambda: _tampered(b"Marc Dupont", b"Marc Dupont &amp; Fils"), "03",
     "caractères hors du jeu SEPA dans <Nm> : '&'"),
    (lambda: _tampered(b"Marc Dupont", "Marc Dupönt".encode()), "03", "hors du jeu SEPA dans <Nm> : 'ö'"),
    (lambda: _tampered(b"<EndToEndId>PO-2026-000043", b"<EndToEndId>PO//2026-000043"), "03",
     "identifiant <EndToEndId>"),
    (lambda: _tampered(b">1234.50<", b">1234.5<"), "03", "deux décimales"),
    (lambda: _tampered(b"DE89370400440532013000", b"de89370400440532013000"), "03",
     r"non conforme au schéma pain.001.001.03 : .*\[A-Z\]\{2,2\}.*CdtrAcct/Id/IBAN, valeur 'de89"),
    (lambda: _tampered(b"<PmtMtd>TRF</PmtMtd>", b""), "03", "non conforme au schéma"),
    (lambda: build(version="03"), "09", "ce n'est pas un document pain.001.001.09"),
    (lambda: b"\xef\xbb\xbf" + build(), "03", "BOM"),
    (lambda: build()[:-20], "03", "XML mal formé"),
])
def test_validation_names_the_problem(xml, version, message):
    with pytest.raises(SepaValidationError, match=message):
        validate_pain001(xml(), version)
