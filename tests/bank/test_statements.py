"""The pure core of statement reading: amounts, dates, profiles, rows → lines, fingerprints."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice import money, statements
from backoffice.money import parse_amount_fr, parse_iso_amount
from backoffice.names import strip_accents
from backoffice.statements import (
    AmountError,
    DateFormatError,
    StatementLine,
    fingerprints,
    generic_profile,
    line_key,
    parse_date_fr,
    recognise,
    rows_to_lines,
)

NBSP, NNBSP = "\u00a0", "\u202f"
OURS = "FR7630006000011234567890189"


# --- amounts ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("1 234,56", "1234.56"),
    (f"1{NBSP}234,56", "1234.56"),
    (f"1{NNBSP}234,56", "1234.56"),
    ("-1.234,56", "-1234.56"),
    ("+12,00", "12.00"),
    ("1234.56", "1234.56"),
    ("(12,00)", "-12.00"),
    ("123,45-", "-123.45"),
    ("- 45,50", "-45.50"),
    ("+3500,00", "3500.00"),
    ("12,5", "12.50"),
    ("0,00", "0.00"),
    ("-0,00", "0.00"),
    ("42", "42.00"),
    ("1 234 567,89", "1234567.89"),
    (f"1{NNBSP}234,56{NBSP}€", "1234.56"),
    ("  -26,99 ", "-26.99"),
])
def test_french_amounts_are_read_exactly(text, expected):
    value = parse_amount_fr(text)
    assert value == Decimal(expected)
    assert value.as_tuple().exponent == -2
    assert not value.is_signed() or value < 0  # never "-0.00"


@pytest.mark.parametrize(("text", "reason"), [
    ("", "vide"),
    ("1.234", "ambigu"),
    ("12,345", "deux décimales"),
    ("1,2,3", "plusieurs virgules"),
    ("--12,00", "illisible"),
    ("+12,00-", "signe ambigu"),
    ("(-12,00)", "signe ambigu"),
    ("12 34,56", "mal groupés"),
    ("1 234.567,89", "mélangés"),
    (",50", "illisible"),
    ("12,", "illisible"),
    ("12 EUR", "illisible"),
    ("1 25O,00", "illisible"),
    ("1.234.567", "plusieurs points"),
])
def test_ambiguous_or_broken_amounts_are_refused_with_a_french_reason(text, reason):
    with pytest.raises(AmountError, match=reason):
        parse_amount_fr(text)
    assert issubclass(AmountError, ValueError)


def test_the_profile_decimal_style_is_enforced():
    assert parse_amount_fr("-1.234,56", decimal=",") == Decimal("-1234.56")
    assert parse_amount_fr("-1,234.56", decimal=".") == Decimal("-1234.56")
    assert parse_amount_fr("3480.00", decimal=".") == Decimal("3480.00")
    assert parse_amount_fr("1,234.56") == Decimal("1234.56")  # no style given: the last separator
    with pytest.raises(AmountError, match="point décimal"):
        parse_amount_fr("1234.56", decimal=",")
    with pytest.raises(AmountError, match="point"):
        parse_amount_fr("1.234", decimal=",")  # a thousands dot needs a decimal comma after it
    with pytest.raises(AmountError, match="virgule décimale"):
        parse_amount_fr("12,50", decimal=".")


def _french(value: Decimal, separator: str, style: str) -> str:
    units, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    body = separator.join(groups) + "," + cents
    if value >= 0:
        return ("+" + body) if style == "plus" else body
    return {"plus": "-" + body, "lead": "-" + body, "trail": body + "-", "paren": f"({body})"}[style]


@given(value=st.decimals(min_value=Decimal("-999999999.99"), max_value=Decimal("999999999.99"),
                         places=2, allow_nan=False, allow_infinity=False),
       separator=st.sampled_from([" ", NBSP, NNBSP, ""]),
       style=st.sampled_from(["plus", "lead", "trail", "paren"]))
def test_any_amount_written_the_french_way_reads_back(value, separator, style):
    text = _french(value, separator, style)
    assert parse_amount_fr(text) == money.quantize(value)
    assert parse_amount_fr(text, decimal=",") == money.quantize(value)
    assert parse_amount_fr(money.format_eur(value)) == money.quantize(value)


def test_iso_amounts_from_xml():
    assert parse_iso_amount("1250.00") == Decimal("1250.00")
    assert parse_iso_amount("8.5") == Decimal("8.50")
    assert parse_iso_amount("12.30000") == Decimal("12.30")
    for bad in ("12,30", "-5.00", "1.234", ""):
        with pytest.raises(AmountError):
            parse_iso_amount(bad)


# --- dates --------------------------------------------------------------------------------------

def test_dates_in_the_formats_banks_use():
    assert parse_date_fr("31/03/2026") == date(2026, 3, 31)
    assert parse_date_fr("5/3/2026") == date(2026, 3, 5)
    assert parse_date_fr("18/12/19", ("DD/MM/YY",)) == date(2019, 12, 18)
    assert parse_date_fr("2026-03-31", ("YYYY-MM-DD",)) == date(2026, 3, 31)
    assert parse_date_fr("2026-03-30 23:41:05", ("YYYY-MM-DD",)) == date(2026, 3, 30)  # UTC as written
    assert parse_date_fr("30-03-2026 22:41:05", ("DD-MM-YYYY",)) == date(2026, 3, 30)
    assert parse_date_fr("2014-12-31T13:15:00+01:00", ("YYYY-MM-DD",)) == date(2014, 12, 31)
    with pytest.raises(DateFormatError, match="inexistante"):
        parse_date_fr("31/02/2026")
    with pytest.raises(DateFormatError, match="JJ/MM/AAAA"):
        parse_date_fr("2026-03-31")
    with pytest.raises(DateFormatError):
        parse_date_fr("31/03/26")  # two-digit years only where the profile says so


# --- recognition --------------------------------------------------------------------------------

HEADERS = {
    "societe-generale": "Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise",
    "societe-generale-comptabilisation":
        "date_comptabilisation;libellé_complet_operation;montant_operation;devise;",
    "bnp-paribas": "Date operation;Libelle court;Type operation;Libelle operation;Montant operation en euro",
    "credit-agricole": "Date;Libellé;Débit Euros;Crédit Euros;",
    "credit-mutuel-cic": "Date;Date de valeur;Débit;Crédit;Libellé;Solde",
    "credit-mutuel-cic-montant": "Date;Date de valeur;Montant;Libellé;Solde",
    "bpce": ("Date de comptabilisation;Libelle simplifie;Libelle operation;Reference;Informations "
             "complementaires;Type operation;Categorie;Sous categorie;Debit;Credit;Date operation;"
             "Date de valeur;Pointage operation"),
    "la-banque-postale": "Date;Libellé;Montant(EUROS);Montant(FRANCS)",
    "qonto": ("Status;Settlement date (UTC);Operation date (UTC);Total amount (incl. VAT);Currency;"
              "Counterparty name;Payment method;Transaction ID;IBAN;Reference"),
    "qonto-fr": ("Statut;Date de la valeur (UTC);Date de l'opération (UTC);Montant total (TTC);Débit;"
                 "Crédit;Solde;Devise;Nom de la contrepartie;Identifiant de transaction;Référence"),
    "shine": ("Transaction ID;Date de la valeur;Date d'opération;IBAN;Type de transaction;Transaction "
              "personnelle;Category;Débit;Crédit;Solde mouvement;Solde bancaire;Libellé;Nom de la "
              "contrepartie;Montant HT;Montant de TVA total;Pièces;Date d'ajout pièces;Commentaire"),
    "boursobank": ("dateOp;dateVal;label;category;categoryParent;supplierFound;amount;comment;"
                   "accountNum;accountLabel;accountbalance"),
    "bnp-paribas-categories": ("Date operation;Categorie operation;Sous Categorie operation;Libelle "
                               "operation;Montant operation;Pointage operation;Commentaire operation"),
    "fortuneo": "Date opération;Date valeur;libellé;Débit;Crédit;",
    "revolut-business": ("Date started (UTC);Date completed (UTC);Date started (Europe/Paris);Date "
                         "completed (Europe/Paris);ID;Type;State;Description;Reference;Payer;Orig "
                         "currency;Orig amount;Payment currency;Amount;Total amount;Fee;Balance"),
}


@pytest.mark.parametrize(("key", "header"), HEADERS.items())
def test_each_layout_is_recognised_by_its_header(key, header):
    profile = recognise(header.split(";"))
    assert profile is not None and profile.key == key


@pytest.mark.parametrize(("key", "header"), HEADERS.items())
def test_recognition_ignores_accents_case_and_padding(key, header):
    folded = [f'  "{strip_accents(cell).upper()}" ' for cell in header.split(";")]
    profile = recognise(folded)
    assert profile is not None and profile.key == key


def test_every_profile_is_documented_and_distinct():
    keys = [p.key for p in statements.PROFILES]
    assert len(keys) == len(set(keys))
    assert all(p.source and p.name for p in statements.PROFILES)
    assert {p.key for p in statements.PROFILES} == set(HEADERS) | {"bnp-paribas-ancien", "lcl"}


def test_unknown_headers_and_preamble_lines_are_not_recognised():
    assert recognise(["Date", "Description", "Value"]) is None
    assert recognise(["Date            ", "31/03/2026"]) is None  # La Banque Postale's preamble
    assert recognise(["Date", "Libellé"]) is None
    assert recognise([]) is None


def test_the_headerless_bnp_export_is_recognised_by_its_summary_line():
    line = ["Cr&eacute;dit immobilier", "Cr&amp;eacute;dit immobilier", "****1234", "18/03/2022", "",
            "-123 456,78"]
    assert recognise(line) is statements.BNP_PARIBAS_OLD
    assert recognise(["Compte courant", "x", "12345678", "2021-01-01", "", "1000,00"]) is None


def test_the_generic_mapping():
    profile = generic_profile({"date": "Date", "label": "Libellé + Détail", "debit": "Débit",
                               "credit": "Crédit", "reference": "Réf.", "date_format": "yyyy-mm-dd",
                               "decimal": "."})
    assert profile.booking_date == ("date",)
    assert profile.label == ("libelle", "detail")
    assert profile.debit == ("debit",) and profile.credit == ("credit",)
    assert profile.date_formats == ("YYYY-MM-DD",) and profile.decimal == "."
    assert statements.header_matches(profile, ["Date", "Libellé", "Détail", "Débit", "Crédit", "Réf."])


@pytest.mark.parametrize(("mapping", "reason"), [
    ({"label": "Libellé", "amount": "Montant"}, "obligatoires"),
    ({"date": "Date", "label": "L", "amount": "M", "debit": "D", "credit": "C"}, "soit"),
    ({"date": "Date", "label": "L", "debit": "D"}, "vont ensemble"),
    ({"date": "Date", "label": "L", "amount": "M", "colour": "x"}, "inconnu"),
    ({"date": "Date", "label": "L", "amount": "M", "date_format": "MM/DD/YYYY"}, "format de date"),
    ({"date": "Date", "label": "L", "amount": "M", "decimal": ";"}, "décimal"),
    ({"date": "Date", "label": "L", "amount": "M", "status": "État"}, "booked"),
])
def test_a_generic_mapping_that_cannot_work_is_refused(mapping, reason):
    with pytest.raises(ValueError, match=reason):
        generic_profile(mapping)


# --- rows → lines -------------------------------------------------------------------------------

CA = statements.CREDIT_AGRICOLE
CA_HEADER = ["Date", "Libellé", "Débit Euros", "Crédit Euros", ""]


def _rows(*rows: str, first: int = 2) -> list[tuple[int, list[str]]]:
    return [(first + i, row.split(";") if row else []) for i, row in enumerate(rows)]


def test_debit_and_credit_columns_become_one_signed_amount():
    lines, errors = rows_to_lines(CA, "ca.csv", CA_HEADER, _rows(
        "30/03/2026;VIR OPCO;;1 250,00;", "27/03/2026;PRLV;842,17;", "26/03/2026;CB;-4,50;;",
        "25/03/2026;REMBT;0,00;12,00;", "24/03/2026;FRAIS;1,00;0,00;"))
    assert errors == []
    assert [line.amount for line in lines] == [Decimal(a) for a in ("1250.00", "-842.17", "-4.50", "12.00",
                                                                    "-1.00")]


@pytest.mark.parametrize(("row", "column", "reason"), [
    ("30/03/2026;X;;;", "Débit Euros", "ni débit ni crédit"),
    ("30/03/2026;X;12,00;13,00;", "Débit Euros", "tous les deux"),
    ("30/03/2026;X;;-13,00;", "Crédit Euros", "crédit négatif"),
    ("30/03/2026;X;1.2.3;;", "Débit Euros", "plusieurs points"),
    ("31/02/2026;X;;13,00;", "Date", "inexistante"),
    ("2026-03-30;X;;13,00;", "Date", "JJ/MM/AAAA"),
])
def test_bad_debit_credit_rows_are_located(row, column, reason):
    lines, errors = rows_to_lines(CA, "ca.csv", CA_HEADER, _rows(row, first=7))
    assert lines == []
    assert len(errors) == 1
    assert (errors[0].file, errors[0].line, errors[0].column) == ("ca.csv", 7, column)
    assert reason in errors[0].reason


def test_every_bad_row_is_reported_not_only_the_first():
    lines, errors = rows_to_lines(statements.BNP_PARIBAS, "bnp.csv", HEADERS["bnp-paribas"].split(";"), _rows(
        "30/03/2026;VIR;V;VIR SEPA RECU;1 25O,00", "29/03/2026;VIR;V;OK;10,00", "xx/03/2026;VIR;V;X;1,2,3"))
    assert [line.line for line in lines] == [3]
    assert [(e.line, e.column, e.value) for e in errors] == [
        (2, "Montant operation en euro", "1 25O,00"),
        (4, "Date operation", "xx/03/2026"),
        (4, "Montant operation en euro", "1,2,3"),
    ]


def test_a_missing_required_column_is_reported_on_the_header_line():
    profile = generic_profile({"date": "Date", "label": "Libellé", "amount": "Montant"})
    lines, errors = rows_to_lines(profile, "x.csv", ["Date", "Libellé"], _rows("01/03/2026;A"),
                                  header_line=4)
    assert lines == []
    assert [(e.line, e.column, e.reason) for e in errors] == [
        (4, "montant", "colonne obligatoire absente de l'en-tête")]


LBP_HEADER = ["Date", "Libellé", "Montant(EUROS)"]
QONTO_HEADER = ["Status", "Settlement date (UTC)", "Total amount (incl. VAT)", "Currency",
                "Counterparty name", "Transaction ID", "IBAN", "Reference"]


def test_rows_not_booked_yet_are_skipped_and_unknown_statuses_refused():
    lines, errors = rows_to_lines(statements.QONTO, "q.csv", QONTO_HEADER, [
        (2, ["settled", "2026-03-31 09:00:00", "10.00", "EUR", "A", "t1", "", ""]),
        (3, ["pending", "", "-18.90", "EUR", "B", "t2", "", ""]),
        (4, ["declined", "", "-540.00", "EUR", "C", "t3", "", ""]),
        (5, ["Executed", "2026-03-30 09:00:00", "-5.00", "EUR", "D", "t4", "", ""]),
        (6, ["reversed", "2026-03-30 09:00:00", "-7.00", "EUR", "E", "t5", "", ""]),
    ])
    assert errors == []
    assert [line.bank_id for line in lines] == ["t1", "t4"]
    lines, errors = rows_to_lines(statements.QONTO, "q.csv", QONTO_HEADER, [
        (2, ["frozen", "2026-03-31", "10.00", "EUR", "A", "t1", "", ""])])
    assert [(e.line, e.column, e.value) for e in errors] == [(2, "Status", "frozen")]
    assert "statut inconnu" in errors[0].reason


def test_a_foreign_currency_row_is_refused():
    _, errors = rows_to_lines(statements.QONTO, "q.csv", QONTO_HEADER, [
        (2, ["settled", "2026-03-31", "-10.00", "USD", "A", "t1", "", ""])])
    assert [(e.column, e.value) for e in errors] == [("Currency", "USD")]


def test_a_booking_date_saying_not_booked_yet_skips_the_row():
    lines, errors = rows_to_lines(statements.LA_BANQUE_POSTALE, "lbp.csv", LBP_HEADER,
                                  _rows("À venir;CARTE X LIBRAIRIE;-12,00", "31/03/2026;VIR;10,00"))
    assert errors == [] and [line.label for line in lines] == ["VIR"]


def test_trailing_balance_and_total_lines_are_ignored():
    lines, errors = rows_to_lines(statements.LA_BANQUE_POSTALE, "lbp.csv", LBP_HEADER, _rows(
        "31/03/2026;VIR;10,00", "", ";Solde au 31/03/2026;1 234,56", "Total des opérations;;10,00",
        ";;", "Pas d'opération à venir;;"))
    assert errors == [] and len(lines) == 1


def test_an_operation_after_a_balance_line_rejects_the_file():
    _, errors = rows_to_lines(statements.LA_BANQUE_POSTALE, "lbp.csv", LBP_HEADER, _rows(
        "31/03/2026;VIR;10,00", "Solde intermédiaire;;10,00", "30/03/2026;PRLV;-5,00"))
    assert [(e.line, e.column, e.value) for e in errors] == [(4, "Date", "30/03/2026")]
    assert "après la ligne de solde/total (ligne 3)" in errors[0].reason


def test_an_undated_line_that_is_not_a_balance_is_an_error():
    _, errors = rows_to_lines(statements.LA_BANQUE_POSTALE, "lbp.csv", LBP_HEADER, _rows(
        "31/03/2026;VIR;10,00", "Mr Dupont;;", "Solde;;10,00", "Agence de Lyon;;"))
    assert [(e.line, e.column, e.reason) for e in errors] == [
        (3, "Date", "date illisible (attendu : JJ/MM/AAAA)"),
        (3, "Montant(EUROS)", "montant manquant"),
        (5, "", "ligne après la ligne de solde/total (ligne 4) : fichier à vérifier"),
    ]


def test_credit_agricole_card_sections_after_the_account_table_are_skipped():
    lines, errors = rows_to_lines(CA, "ca.csv", CA_HEADER, _rows(
        "30/03/2026;VIR;;10,00;", "", "29/03/2026;PRLV;5,00;;",  # a blank line inside the table
        "", "  ", "SAS FORMATIONS EXEMPLE", "CB BUSINESS DD no  4974 12xx xxxx xx34;",
        "Date;Libellé;Débit Euros;Crédit Euros;", "28/03/2026;LIBRAIRIE;12,00;;",  # deferred card debits
        ";Pas d'opération pour cette carte entre le 01/03/2026 et 31/03/2026;"))
    assert errors == []
    assert [(line.line, line.amount) for line in lines] == [(2, Decimal("10.00")), (4, Decimal("-5.00"))]


def test_other_banks_have_no_card_section():
    _, errors = rows_to_lines(statements.LA_BANQUE_POSTALE, "lbp.csv", LBP_HEADER, _rows(
        "31/03/2026;VIR;10,00", "", "SAS FORMATIONS EXEMPLE;;", "28/03/2026;LIBRAIRIE;-12,00"))
    assert [(e.line, e.column) for e in errors] == [(4, "Date"), (4, "Montant(EUROS)")]


def test_a_row_with_more_filled_cells_than_the_header_is_refused():
    lines, errors = rows_to_lines(statements.LA_BANQUE_POSTALE, "lbp.csv", LBP_HEADER, _rows(
        "31/03/2026;VIR;10,00;;", "30/03/2026;VIR;10;00"))
    assert len(lines) == 1
    assert [(e.line, e.reason) for e in errors] == [(3, "4 champs au lieu de 3 (ceux de l'en-tête)")]


def test_labels_are_joined_and_whitespace_normalised():
    sg = statements.SOCIETE_GENERALE
    header = HEADERS["societe-generale"].split(";")
    lines, _ = rows_to_lines(sg, "sg.csv", header, [
        (4, ["31/03/2026", "VIR RECU 5012345678", "VIR RECU    5012345678S DE: OPCO ATLAS\nMOTIF: FA-1 ",
             "1 250,00", "EUR"]),
        (5, ["30/03/2026", "COTIS CARTE", "", "-4,00", "EUR"]),
    ])
    assert [line.label for line in lines] == [
        "VIR RECU 5012345678S DE: OPCO ATLAS MOTIF: FA-1", "COTIS CARTE"]
    assert lines[0].raw == {"Date de l'opération": "31/03/2026", "Libellé": "VIR RECU 5012345678",
                            "Détail de l'écriture": "VIR RECU    5012345678S DE: OPCO ATLAS\nMOTIF: FA-1 ",
                            "Montant de l'opération": "1 250,00", "Devise": "EUR"}


def test_label_columns_are_joined_and_exact_repeats_dropped():
    header = HEADERS["bpce"].split(";")

    def row(label: str, info: str) -> list[str]:
        return ["31/03/2026", "X", label, "", info, "", "", "", "", "+1,00", "", "", ""]

    lines, errors = rows_to_lines(statements.BPCE, "bpce.csv", header, [
        (2, row("VIR SEPA FACTURE", "FA")), (3, row("VIR SEPA OPCO", "vir  sepa opco")),
        (4, row("", "MOTIF"))])
    assert errors == []
    assert [line.label for line in lines] == ["VIR SEPA FACTURE FA", "VIR SEPA OPCO", "MOTIF"]


def test_the_account_is_stamped_or_checked_against_the_file():
    profile = statements.QONTO_FR
    header = ["Statut", "Date de la valeur (UTC)", "Montant total (TTC)", "Nom de la contrepartie",
              "Identifiant de transaction", "IBAN du compte"]
    row = ["Exécuté", "31-03-2026 08:00:00", "10,00", "ACME", "t1", "FR72 1695 8000 0101 2345 6789 012"]
    lines, errors = rows_to_lines(profile, "q.csv", header, [(2, row)])
    assert errors == [] and lines[0].account == "FR7216958000010123456789012"
    _, errors = rows_to_lines(profile, "q.csv", header, [(2, row)], account=OURS)
    assert [(e.column, e.reason) for e in errors] == [
        ("IBAN du compte", f"ligne d'un autre compte que {OURS}")]
    lines, _ = rows_to_lines(statements.LA_BANQUE_POSTALE, "l.csv", LBP_HEADER, _rows("31/03/2026;VIR;1,00"),
                             account=OURS)
    assert lines[0].account == OURS


# --- fingerprints -------------------------------------------------------------------------------

def _line(day: date, amount: str, label: str, *, account: str = OURS, bank_id: str = "", n: int = 1
          ) -> StatementLine:
    return StatementLine(account, day, None, Decimal(amount), label, "", "", "", bank_id, n, {})


def test_the_same_lines_give_the_same_fingerprints():
    lines = [_line(date(2026, 3, 1), "10.00", "VIR A"), _line(date(2026, 3, 2), "-5.00", "PRLV B")]
    again = [_line(date(2026, 3, 1), "10.00", "VIR A", n=9), _line(date(2026, 3, 2), "-5.00", "PRLV B", n=4)]
    assert fingerprints(lines) == fingerprints(again)
    assert len(set(fingerprints(lines))) == 2


def test_identical_lines_keep_distinct_occurrence_indexes():
    twin = _line(date(2026, 3, 20), "-4.50", "CARTE X1234 PARKING GARE")
    other = _line(date(2026, 3, 20), "-4.50", "CARTE X1234 PEAGE")
    prints = fingerprints([twin, other, twin])
    assert prints[0].endswith("#1") and prints[2].endswith("#2") and prints[1].endswith("#1")
    assert prints[0].split("#")[0] == prints[2].split("#")[0] == line_key(twin)
    assert len(set(prints)) == 3


def test_what_identifies_a_line():
    base = _line(date(2026, 3, 1), "10.00", "VIR  SEPA Élodie")
    assert line_key(base) == line_key(_line(date(2026, 3, 1), "10.0", "vir sepa elodie "))
    different = [
        _line(date(2026, 3, 2), "10.00", "VIR SEPA Élodie"),
        _line(date(2026, 3, 1), "-10.00", "VIR SEPA Élodie"),
        _line(date(2026, 3, 1), "10.00", "VIR SEPA Élodie M"),
        _line(date(2026, 3, 1), "10.00", "VIR SEPA Élodie", account=""),
        _line(date(2026, 3, 1), "10.00", "VIR SEPA Élodie", bank_id="2603310001"),
    ]
    assert len({line_key(base)} | {line_key(line) for line in different}) == 6


def _export(first: int, last: int) -> list[StatementLine]:
    """Days `first`..`last` of March, newest first as banks list them, with twins on day 7."""
    lines = []
    for day in range(last, first - 1, -1):
        when = date(2026, 3, 1) + timedelta(days=day - 1)
        lines.append(_line(when, f"{day * 10}.00", f"VIR SEPA RECU /DE CLIENT {day}"))
        if day == 7:
            lines += [_line(when, "-4.50", "CARTE X1234 PARKING GARE")] * 2
    return lines


def test_an_overlapping_export_shares_exactly_the_fingerprints_of_the_common_days():
    early, late = _export(1, 10), _export(5, 15)
    common = [line for line in early if line.booking_date >= date(2026, 3, 5)]
    assert len(common) == 8
    assert set(fingerprints(early)) & set(fingerprints(late)) == set(fingerprints(common))
    assert sorted(fingerprints(common)) == sorted(
        f for f, line in zip(fingerprints(late), late, strict=True) if line.booking_date <= date(2026, 3, 10))
