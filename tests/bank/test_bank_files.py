"""Reading real statement files: one sample per layout (tests/bank/samples/), and the traps."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.bank_files import ParsedStatement, read_statement
from backoffice.statements import fingerprints

SAMPLES = Path(__file__).parent / "samples"
OURS = "FR7630006000011234567890189"
QONTO_OURS = "FR7216958000010123456789012"
ATLAS = "FR7430003012340001234567890"
ACME = "FR9130004005670009876543210"
MARTIN = "FR9030002008880000555666777"
DURAND = "FR0717515900000800123456789"
PETIT = "FR9520041000010123456789012"
AUTRE_BANQUE = {"date": "Date", "value_date": "Date valeur", "label": "Libellé",
                "reference": "Référence", "amount": "Montant"}


def parsed(name: str, **options) -> ParsedStatement:
    result = read_statement(SAMPLES / name, **options)
    assert isinstance(result, ParsedStatement), [str(e) for e in result]
    return result


def d(text: str) -> date:
    return date.fromisoformat(text)


def x(line: int, booked: str, valued: str | None, amount: str, label: str, counterparty: str = "",
      iban: str = "", reference: str = "", bank_id: str = "") -> tuple:
    """An expected line: (line, booking date, value date, amount, label, counterparty, IBAN, ref, id)."""
    return (line, d(booked), d(valued) if valued else None, Decimal(amount), label, counterparty, iban,
            reference, bank_id)


EXPECTED = {
    "societe_generale.csv": ("societe-generale", "cp1252", [
        x(4, "2026-03-31", None, "1250.00", "VIR RECU 5012345678S DE: OPCO ATLAS MOTIF: FA-2026-000123 "
          "AT-2026-012345 REF: OPCOATL2603310001"),
        x(5, "2026-03-28", None, "-842.17", "PRELEVEMENT EUROPEEN 1234567890 DE: URSSAF D’ÎLE-DE-FRANCE "
          "ID: FR12ZZZ123456 MOTIF: COTISATIONS MARS"),
        x(6, "2026-03-27", None, "-680.00",
          "VIR EUROPEEN EMIS LOGITEL POUR: MME ÉLODIE MARTIN REF: PAY-2026-0042"),
        x(7, "2026-03-25", None, "-18.40", "CARTE X1234 24/03 CAFÉ DES ARTS"),
    ]),
    "societe_generale_comptabilisation.csv": ("societe-generale-comptabilisation", "cp1252", [
        x(3, "2026-04-14", None, "2160.00",
          "VIR RECU 5098765432S DE: ACME INDUSTRIE SAS MOTIF: FA-2026-000131 REF: ACME-000131"),
        x(4, "2026-04-10", None, "-36.90", "CARTE X1234 09/04 PAPETERIE DU MARCHÉ"),
    ]),
    "bnp_paribas.csv": ("bnp-paribas", "utf-8", [
        x(4, "2026-03-30", None, "3480.00",
          "VIR SEPA RECU /DE OPCO ATLAS /MOTIF FA-2026-000123 AT-2026-012345 /REF OPCOATL-2603-000123"),
        x(5, "2026-03-30", None, "1160.00",
          "VIR SEPA RECU /DE OPCO ATLAS /MOTIF FA-2026-000124 AT-2026-012346 /REF OPCOATL-2603-000124"),
        x(6, "2026-03-27", None, "-42.50",
          "FACTURE CARTE DU 260326 LIBRAIRIE EXEMPLE CARTE 4974XXXXXXXX1234"),
        x(7, "2026-03-26", None, "12600.00",
          "VIR SEPA INST RECU /DE ACME INDUSTRIE SAS /REF NOTPROVIDED /MOTIF"),
    ]),
    "E0000189.csv": ("bnp-paribas-ancien", "cp1252", [
        x(2, "2026-03-30", None, "1250.00",
          "VIR SEPA RECU /DE OPCO ATLAS /MOTIF FA-2026-000125 /REF OPCOATL-000125"),
        x(3, "2026-03-15", None, "-25.90", "COMMISSIONS COMPTE PRO MARS"),
    ]),
    "credit_agricole.csv": ("credit-agricole", "cp1252", [
        x(11, "2026-03-30", None, "1250.00",
          "VIREMENT EN VOTRE FAVEUR OPCO ATLAS FA-2026-000123 AT-2026-012345"),
        x(15, "2026-03-27", None, "-842.17", "PRELEVEMENT URSSAF ÎLE-DE-FRANCE"),
        x(18, "2026-03-20", None, "-4.50", "CARTE X1234 PARKING GARE"),
        x(21, "2026-03-20", None, "-4.50", "CARTE X1234 PARKING GARE"),
    ]),
    "credit_mutuel.csv": ("credit-mutuel-cic", "cp1252", [
        x(2, "2026-03-02", "2026-03-02", "4320.00", "VIR OPCO ATLAS FA-2026-000118 AT-2026-012301"),
        x(3, "2026-03-05", "2026-03-04", "-26.99", "PRLV SEPA TELECOM EXEMPLE ABONNEMENT MARS"),
        x(4, "2026-03-06", "2026-03-06", "-1200.00", "VIR SEPA MARTIN ÉLODIE PAY-2026-0040"),
        x(5, "2026-03-09", "2026-03-09", "540.00", "VIR INST ACME INDUSTRIE SAS FA-2026-000120"),
    ]),
    "credit_mutuel_montant.csv": ("credit-mutuel-cic-montant", "cp1252", [
        x(2, "2026-03-10", "2026-03-10", "-89.00", "PRLV SEPA ASSURANCE PRO EXEMPLE"),
        x(3, "2026-03-11", "2026-03-11", "2400.00", "VIR OPCO EP FA-2026-000127"),
    ]),
    "bpce.csv": ("bpce", "utf-8-sig", [
        x(2, "2026-03-31", "2026-03-31", "2880.00", "VIR SEPA OPCO ATLAS FA-2026-000130 AT-2026-012350",
          reference="OPCOATL-2603-000130"),
        x(3, "2026-03-30", "2026-03-30", "-950.00", "VIR SEPA EMIS MARTIN ELODIE Prestation formation mars",
          reference="PAY-2026-0044"),
        x(4, "2026-03-28", "2026-03-28", "-23.90", "CB LIBRAIRIE DU PARC FACT 270326"),
    ]),
    "la_banque_postale.csv": ("la-banque-postale", "cp1252", [
        x(9, "2026-03-31", None, "1800.00", "VIREMENT DE OPCO AKTO REF FA-2026-000140"),
        x(10, "2026-03-29", None, "-124.56", "PRELEVEMENT DE EDF ENTREPRISES"),
    ]),
    "la_banque_postale.tsv": ("la-banque-postale", "cp1252", [
        x(8, "2026-03-31", None, "-45.20", "ACHAT CB PAPETERIE EXEMPLE 30.03.26 EUR 45,20 CARTE NUMERO 111"),
        x(9, "2026-03-30", None, "960.00", "VIREMENT DE ACME INDUSTRIE SAS FA-2026-000141"),
    ]),
    "qonto_en.csv": ("qonto", "utf-8", [
        x(2, "2026-03-31", "2026-03-31", "3480.00", "OPCO ATLAS", "OPCO ATLAS", ATLAS,
          "FA-2026-000123 AT-2026-012345", "sas-formations-exemple-1-transaction-1201"),
        x(3, "2026-03-30", "2026-03-30", "-1250.00", "Elodie Martin", "Elodie Martin", MARTIN,
          "PAY-2026-0045", "sas-formations-exemple-1-transaction-1200"),
    ]),
    "qonto_fr.csv": ("qonto-fr", "utf-8", [
        x(2, "2026-03-31", "2026-03-31", "12600.00", "ACME INDUSTRIE SAS", "ACME INDUSTRIE SAS", ACME,
          "FA-2026-000131", "sas-formations-exemple-2-transaction-310"),
        x(3, "2026-03-30", "2026-03-30", "-1250.00", "Élodie Martin", "Élodie Martin", MARTIN,
          "PAY-2026-0045 S-2026-0012", "sas-formations-exemple-2-transaction-309"),
    ]),
    "shine.csv": ("shine", "cp1252", [
        x(2, "2026-03-30", "2026-03-31", "1440.00", "VIR SEPA OPCO ATLAS FA-2026-000150", "OPCO ATLAS",
          bank_id="a1b2c3d4-0001"),
        x(3, "2026-03-28", "2026-03-29", "-45.00", "PAPETERIE DU MARCHÉ", "Papeterie du Marché",
          bank_id="a1b2c3d4-0002"),
    ]),
    "boursobank.csv": ("boursobank", "utf-8", [
        x(2, "2026-03-31", "2026-03-31", "3480.00", "VIR SEPA OPCO ATLAS FA-2026-000160"),
        x(3, "2026-03-30", "2026-03-30", "-42.50", "CARTE 28/03/26 FNAC CB*1234"),
    ]),
    "camt053_v02.xml": ("camt.053.001.02", "xml", [
        x(1, "2026-03-31", "2026-03-31", "1250.00", "FA-2026-000123 AT-2026-012345", "OPCO ATLAS", ATLAS,
          "OPCOATL-2603-000123", "2603310001"),
        x(2, "2026-03-31", "2026-03-31", "-1250.00", "Prestation formation S-2026-0012", "Élodie MARTIN",
          MARTIN, "PAY-2026-0046", "2603310002/1"),
        x(2, "2026-03-31", "2026-03-31", "-980.00", "Prestation formation S-2026-0013", "Jean DURAND",
          DURAND, "PAY-2026-0047", "2603310002/2"),
        x(2, "2026-03-31", "2026-03-31", "-700.00", "Prestation formation S-2026-0014", "Sophie PETIT",
          PETIT, "PAY-2026-0048", "2603310002/3"),
        x(4, "2026-03-31", "2026-03-31", "-25.90", "COMMISSION COMPTE PRO MARS 2026", bank_id="2603310004"),
    ]),
    "camt053_v08.xml": ("camt.053.001.08", "xml", [
        x(1, "2026-04-01", "2026-04-01", "2160.00", "FA-2026-000131 reste a charge", "ACME INDUSTRIE SAS",
          ACME, "ACME-000131", "2604010001"),
        x(2, "2026-04-01", "2026-04-01", "-160.00",
          "VIR SEPA EMIS /A SALLE DE FORMATION LYON /REF RF18539007547034", "SALLE DE FORMATION LYON",
          DURAND, "RF18539007547034", "2604010002"),
    ]),
}


@pytest.mark.parametrize("name", EXPECTED)
def test_each_layout_is_read_to_the_exact_lines(name):
    profile, encoding, expected = EXPECTED[name]
    result = parsed(name)
    assert (result.profile, result.encoding) == (profile, encoding)
    assert result.file_name == name
    assert result.sha256 == hashlib.sha256((SAMPLES / name).read_bytes()).hexdigest()
    got = [(line.line, line.booking_date, line.value_date, line.amount, line.label, line.counterparty,
            line.counterparty_iban, line.reference, line.bank_id) for line in result.lines]
    assert got == expected
    assert all(line.amount.as_tuple().exponent == -2 for line in result.lines)


def test_camt_gives_the_account_and_the_raw_fields():
    for name in ("camt053_v02.xml", "camt053_v08.xml"):
        result = parsed(name)
        assert result.account == OURS and {line.account for line in result.lines} == {OURS}
    batch = parsed("camt053_v02.xml").lines[1:4]
    assert [line.raw["TxDtls"] for line in batch] == ["1", "2", "3"]
    assert batch[0].raw["BkTxCd"] == "PMNT/ICDT/ESCT" and batch[0].raw["Ntry"] == "2"
    assert sum(line.amount for line in batch) == Decimal("-2930.00")


def test_a_csv_carries_the_account_it_is_given():
    result = parsed("societe_generale.csv", account="FR76 3000 6000 0112 3456 7890 189")
    assert result.account == OURS and {line.account for line in result.lines} == {OURS}
    assert parsed("societe_generale.csv").account == ""
    assert parsed("qonto_fr.csv").account == QONTO_OURS  # Qonto's "IBAN du compte" column
    with pytest.raises(ValueError, match="clé de contrôle"):
        read_statement(SAMPLES / "societe_generale.csv", account="FR7630006000011234567890188")


def test_the_raw_cells_are_kept_for_the_audit_trail():
    line = parsed("societe_generale.csv").lines[0]
    assert line.raw["Devise"] == "EUR"
    assert line.raw["Détail de l'écriture"].startswith("VIR RECU    5012345678S")
    label = parsed("credit_agricole.csv").lines[0].raw["Libellé"]
    assert label.startswith("VIREMENT EN VOTRE FAVEUR \nOPCO ATLAS \n")  # as written, line breaks kept


# --- the traps ----------------------------------------------------------------------------------

def test_windows_1252_accents_and_typographic_apostrophes():
    assert (SAMPLES / "societe_generale.csv").read_bytes().count(b"\x92") == 1  # ’ in cp1252
    result = parsed("societe_generale.csv")
    assert result.encoding == "cp1252"
    assert "URSSAF D’ÎLE-DE-FRANCE" in result.lines[1].label


def test_a_utf8_bom_does_not_hide_the_first_column():
    assert (SAMPLES / "bpce.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    result = parsed("bpce.csv")
    assert result.encoding == "utf-8-sig"
    assert "Date de comptabilisation" in result.lines[0].raw


def test_latin1_is_the_last_resort(tmp_path):
    path = tmp_path / "lbp.csv"
    path.write_bytes(b"Date;Libell\xe9;Montant(EUROS)\r\n31/03/2026;CARTE \x81 LIBRAIRIE;-12,00\r\n")
    result = read_statement(path)
    assert isinstance(result, ParsedStatement) and result.encoding == "latin-1"


def test_utf16_with_a_bom_is_read(tmp_path):
    path = tmp_path / "lbp.txt"
    text = (SAMPLES / "la_banque_postale.tsv").read_bytes().decode("cp1252")
    path.write_bytes(text.encode("utf-16"))
    result = read_statement(path)
    assert isinstance(result, ParsedStatement)
    assert (result.encoding, result.delimiter, len(result.lines)) == ("utf-16", "\t", 2)


def test_preambles_are_skipped_even_with_a_line_starting_with_date():
    assert parsed("la_banque_postale.csv").lines[0].line == 9
    assert parsed("credit_agricole.csv").lines[0].line == 11
    assert parsed("bnp_paribas.csv").profile == "bnp-paribas"  # its preamble looks like the old export's


def test_multi_line_quoted_labels_and_the_card_section():
    lines = parsed("credit_agricole.csv").lines
    assert lines[0].label == "VIREMENT EN VOTRE FAVEUR OPCO ATLAS FA-2026-000123 AT-2026-012345"
    assert [line.line for line in lines] == [11, 15, 18, 21]  # the physical line where each starts


def test_no_break_space_thousands():
    assert "\u00a0" in (SAMPLES / "bnp_paribas.csv").read_text(encoding="utf-8")
    assert [line.amount for line in parsed("bnp_paribas.csv").lines] == [
        Decimal("3480.00"), Decimal("1160.00"), Decimal("-42.50"), Decimal("12600.00")]


def test_pending_and_declined_rows_are_skipped():
    assert len(parsed("qonto_en.csv").lines) == 2  # of 4 rows: pending and declined left out
    assert len(parsed("qonto_fr.csv").lines) == 2  # "En cours" and "Refusé" left out
    assert len(parsed("camt053_v02.xml").lines) == 5  # the PDNG entry left out
    assert len(parsed("camt053_v08.xml").lines) == 2  # the INFO and PDNG entries left out


def test_a_bank_without_a_profile_reads_with_a_column_mapping():
    result = parsed("autre_banque.csv", mapping=AUTRE_BANQUE)
    assert result.profile == "generic"
    assert [(line.booking_date, line.amount, line.label, line.reference) for line in result.lines] == [
        (date(2026, 3, 2), Decimal("1980.00"), "VIREMENT OPCO 2I FA-2026-000170", "OPCO2I-000170"),
        (date(2026, 3, 3), Decimal("-1450.00"), "PRLV LOYER LOCAUX MARS", "LOY-2603"),
    ]  # the trailing « Solde final » line is ignored


# --- rejected files -----------------------------------------------------------------------------

def test_an_unrecognised_file_is_rejected_whole():
    errors = read_statement(SAMPLES / "inconnu.csv")
    assert isinstance(errors, list) and len(errors) == 1
    assert (errors[0].file, errors[0].line, errors[0].value) == ("inconnu.csv", 1, "Date;Description;Value")
    assert "format de relevé non reconnu" in errors[0].reason
    errors = read_statement(SAMPLES / "autre_banque.csv")
    assert isinstance(errors, list) and "non reconnu" in errors[0].reason


def test_a_mapping_whose_columns_are_absent_is_rejected():
    # the header line that has some of the mapped columns: each one it lacks, named alone
    errors = read_statement(SAMPLES / "inconnu.csv", mapping=AUTRE_BANQUE)
    assert isinstance(errors, list)
    assert [(e.line, e.column) for e in errors] == [
        (1, "Libellé"), (1, "Montant"), (1, "Date valeur"), (1, "Référence")]
    assert {e.reason for e in errors} == {"colonne de la correspondance absente de l'en-tête"}
    errors = read_statement(SAMPLES / "inconnu.csv", mapping={"date": "Jour", "label": "Texte",
                                                              "amount": "Somme"})
    assert isinstance(errors, list) and "en-tête introuvable" in errors[0].reason
    assert "Jour, Texte, Somme" in errors[0].reason


def test_one_bad_amount_rejects_the_file_with_its_location():
    errors = read_statement(SAMPLES / "montant_illisible.csv")
    assert isinstance(errors, list)
    assert [(e.file, e.line, e.column, e.value) for e in errors] == [
        ("montant_illisible.csv", 3, "Montant operation en euro", "1 25O,00")]
    assert str(errors[0]).startswith(
        "montant_illisible.csv, ligne 3, colonne « Montant operation en euro » : montant illisible")


def test_broken_csv_quoting_and_empty_files_are_rejected(tmp_path):
    path = tmp_path / "cm.csv"
    path.write_text('Date;Date de valeur;Débit;Crédit;Libellé;Solde\n02/03/2026;02/03/2026;;4,00;"VIR;1,00\n',
                    encoding="utf-8")
    errors = read_statement(path)
    assert isinstance(errors, list) and errors[0].line == 2 and "CSV mal formé" in errors[0].reason
    (tmp_path / "vide.csv").write_bytes(b"\r\n")
    assert [e.reason for e in read_statement(tmp_path / "vide.csv")] == ["fichier vide"]


def _camt_variant(tmp_path: Path, old: str, new: str, name: str = "camt.xml") -> Path:
    path = tmp_path / name
    text = (SAMPLES / "camt053_v02.xml").read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_batch_whose_transactions_do_not_add_up_is_rejected(tmp_path):
    path = _camt_variant(tmp_path, '<Amt Ccy="EUR">980.00</Amt>', '<Amt Ccy="EUR">990.00</Amt>')
    errors = read_statement(path)
    assert isinstance(errors, list)
    assert [(e.line, e.column, e.value) for e in errors] == [(2, "Ntry/Amt", "2930.00")]
    assert "somme des 3 transactions (-2940.00)" in errors[0].reason


@pytest.mark.parametrize(("old", "new", "column", "reason"), [
    ('<Amt Ccy="EUR">25.90</Amt>', '<Amt Ccy="USD">25.90</Amt>', "Ntry/Amt", "devise"),
    ('<Amt Ccy="EUR">25.90</Amt>', '<Amt Ccy="EUR">25,90</Amt>', "Ntry/Amt", "illisible"),
    ("<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>BOOK</Sts>\n        <BookgDt><Dt>2026-03-31</Dt></BookgDt>\n"
     "        <ValDt><Dt>2026-03-31</Dt></ValDt>\n        <BkTxCd>\n          <Domn><Cd>ACMT",
     "<CdtDbtInd>DEBIT</CdtDbtInd>\n        <Sts>BOOK</Sts>\n        <BookgDt><Dt>2026-03-31</Dt></BookgDt>\n"
     "        <ValDt><Dt>2026-03-31</Dt></ValDt>\n        <BkTxCd>\n          <Domn><Cd>ACMT",
     "Ntry/CdtDbtInd", "CRDT ou DBIT"),
])
def test_bad_camt_entries_are_located_by_entry(tmp_path, old, new, column, reason):
    errors = read_statement(_camt_variant(tmp_path, old, new))
    assert isinstance(errors, list)
    assert [(e.line, e.column) for e in errors] == [(4, column)]
    assert reason in errors[0].reason


def test_camt_of_another_account_or_version_or_with_a_dtd_is_rejected(tmp_path):
    errors = read_statement(SAMPLES / "camt053_v02.xml", account=QONTO_OURS)
    assert isinstance(errors, list) and errors[0].column == "Stmt/Acct/Id/IBAN"
    path = _camt_variant(tmp_path, "camt.053.001.02", "camt.053.001.09")
    errors = read_statement(path)
    assert isinstance(errors, list) and "camt.053.001.02 à camt.053.001.08" in errors[0].reason
    path = _camt_variant(tmp_path, "<Document", '<!DOCTYPE d [<!ENTITY x "y">]>\n<Document')
    errors = read_statement(path)
    assert isinstance(errors, list) and "DTD" in errors[0].reason
    path = _camt_variant(tmp_path, "</Ntry>", "</Ntryy>")
    errors = read_statement(path)
    assert isinstance(errors, list) and "XML mal formé" in errors[0].reason and errors[0].line > 1


# --- fingerprints over files --------------------------------------------------------------------

def test_the_same_file_twice_gives_the_same_fingerprints(tmp_path):
    copy = tmp_path / "copie.csv"
    shutil.copy(SAMPLES / "credit_agricole.csv", copy)
    first, second = parsed("credit_agricole.csv", account=OURS), read_statement(copy, account=OURS)
    assert isinstance(second, ParsedStatement)
    assert fingerprints(first.lines) == fingerprints(second.lines)
    prints = fingerprints(first.lines)
    assert len(set(prints)) == 4  # the two identical parking lines stay two
    assert prints[2].split("#") == [prints[3].split("#")[0], "1"] and prints[3].endswith("#2")


def _bnp_export(path: Path, first: int, last: int) -> Path:
    rows = ["Compte courant;SAS FORMATIONS EXEMPLE;****0189;31/03/2026;;15 234,12", "",
            "Date operation;Libelle court;Type operation;Libelle operation;Montant operation en euro"]
    for day in range(last, first - 1, -1):  # newest first, as exported
        when = (date(2026, 3, 1) + timedelta(days=day - 1)).strftime("%d/%m/%Y")
        rows.append(f"{when};VIR SEPA RECU;VIREMENT RECU;VIR SEPA RECU /DE CLIENT {day} /MOTIF FA-{day};"
                    f"{day} 0{day % 10}0,00")
        if day == 7:
            rows += [f"{when};FACTURE CARTE;CARTE;FACTURE CARTE DU 060326 PARKING GARE;-4,50"] * 2
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    return path


def test_overlapping_exports_share_exactly_the_fingerprints_of_the_common_days(tmp_path):
    early = read_statement(_bnp_export(tmp_path / "mars-1-10.csv", 1, 10), account=OURS)
    late = read_statement(_bnp_export(tmp_path / "mars-5-15.csv", 5, 15), account=OURS)
    assert isinstance(early, ParsedStatement) and isinstance(late, ParsedStatement)
    assert (len(early.lines), len(late.lines)) == (12, 13)
    common = {f for f, line in zip(fingerprints(early.lines), early.lines, strict=True)
              if line.booking_date >= date(2026, 3, 5)}
    assert len(common) == 8
    assert set(fingerprints(early.lines)) & set(fingerprints(late.lines)) == common
