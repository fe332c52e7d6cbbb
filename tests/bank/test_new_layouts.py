"""Issue 18, part 4: CFONB 120, the newer BNP Paribas CSV, Revolut Business, Fortuneo and LCL.

Each file is written here from the documented layout (docs/bank-statements.md cites the sources):
signs, dates, decimals and labels checked, and a malformed file rejected whole with its file,
line, column and value."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.bank_files import ParsedStatement, read_statement
from adapters.models import BankLine, ReviewItem
from backoffice import cfonb
from backoffice.export_format import RowError
from services.statements import import_statement_files

OURS = "FR7630006000011234567890189"  # bank 30006, desk 00001, account 12345678901


def parsed(path: Path, **options) -> ParsedStatement:
    result = read_statement(path, **options)
    assert isinstance(result, ParsedStatement), [str(e) for e in result]
    return result


def rejected(path: Path, **options) -> list[RowError]:
    result = read_statement(path, **options)
    assert isinstance(result, list), result
    return result


def located(errors: list[RowError]) -> list[tuple[str, int, str, str]]:
    return [(e.file, e.line, e.column, e.value) for e in errors]


# --- CFONB 120 ----------------------------------------------------------------------------------

def signed(amount: str, decimals: int = 2) -> str:
    """An amount as CFONB writes it: 13 digits, then the last digit and the sign in one character."""
    value = Decimal(amount)
    digits = f"{int(abs(value).scaleb(decimals)):014d}"
    return digits[:-1] + ("{ABCDEFGHI" if value >= 0 else "}JKLMNOPQR")[int(digits[-1])]


def record(code: str, *, day: str = "", amount: str = "", decimals: int = 2, value_date: str = "",
           label: str = "", operation: str = "  ", entry: str = "", reference: str = "",
           bank: str = "30006", desk: str = "00001", account: str = "12345678901",
           currency: str = "EUR") -> str:
    """One 120-character record, each field at its position (1-based, the CFONB brochure's)."""
    fields = [
        (1, code), (3, bank), (8, "    "), (12, desk), (17, currency), (20, str(decimals)),
        (21, " "), (22, account), (33, operation if code == "04" else "  "), (35, day),
        (41, "  "), (43, value_date), (49, label[:31]), (80, "  "), (82, entry), (89, "  "),
        (91, signed(amount, decimals) if amount else ""), (105, reference),
    ]
    text = [" "] * 120
    for start, value in fields:
        text[start - 1 : start - 1 + len(value)] = value
    result = "".join(text)
    assert len(result) == 120 and result[90:104] == (signed(amount, decimals) if amount else " " * 14)
    return result


def complement(qualifier: str, text: str, *, day: str = "020326") -> str:
    """A 05 record: the qualifier at 46-48, its text at 49-118."""
    base = record("05", day=day)
    return (base[:45] + qualifier + text.ljust(70)[:70] + "  ")


REMITTANCE = ("FA-2026-000123 AT-2026-012345 FORMATION SECURITE INCENDIE SESSION DE MA"  # 70
              "RS 2026 STAGIAIRE DURAND")


def cfonb_file(tmp_path: Path, records: list[str], name: str = "releve.cfo", newline: str = "\r\n") -> Path:
    path = tmp_path / name
    path.write_bytes((newline.join(records) + newline).encode("cp1252"))
    return path


def statement_records(closing: str = "2207.43") -> list[str]:
    return [
        record("01", day="010326", amount="1000.00"),
        record("04", day="020326", value_date="030326", amount="1250.00", operation="05",
               label="VIR SEPA RECU OPCO ATLAS", reference="REF0000000001"),
        complement("NPY", "OPCO ATLAS"),
        complement("LIB", REMITTANCE[:70]),
        complement("LIB", REMITTANCE[70:]),
        complement("RCN", "OPCOATL-2603-000123".ljust(35) + "SCT"),
        complement("IPY", "FR7430003012340001234567890".ljust(35) + "IBAN"),
        record("04", day="050326", value_date="050326", amount="-42.57", operation="B1",
               label="PRLV SEPA URSSAF", entry="0000042"),
        complement("NBE", "URSSAF ILE DE FRANCE"),
        record("07", day="310326", amount=closing),
    ]


def test_cfonb_amounts_carry_their_sign_and_last_digit_in_one_character():
    assert cfonb.parse_amount("0000000012500{", 2) == Decimal("1250.00")
    assert cfonb.parse_amount("0000000000425A", 2) == Decimal("42.51")
    assert cfonb.parse_amount("0000000004257P", 2) == Decimal("-425.77")
    assert cfonb.parse_amount("0000000000000}", 2) == Decimal("0.00")
    assert cfonb.parse_amount("0000000000001R", 0) == Decimal("-19.00")
    assert cfonb.parse_amount("0000000001234{", 3) == Decimal("12.34")  # 12.340 with 3 decimals
    with pytest.raises(ValueError, match="plus de deux décimales"):
        cfonb.parse_amount("0000000012345E", 3)  # 123.455
    assert [signed(a) for a in ("1250.00", "-42.57", "-0.30", "0.01")] == [
        "0000000012500{", "0000000000425P", "0000000000003}", "0000000000000A"]
    for bad in ("000000001250{", "0000000012500S", "00000000125 0{"):
        with pytest.raises(ValueError, match="montant illisible"):
            cfonb.parse_amount(bad, 2)


def test_cfonb_120_reads_movements_their_complements_and_the_account(tmp_path):
    result = parsed(cfonb_file(tmp_path, statement_records()))
    assert (result.profile, result.account, result.balance_gaps) == ("cfonb120", OURS, ())
    credit, debit = result.lines
    assert (credit.line, credit.booking_date, credit.value_date, credit.amount) == (
        2, date(2026, 3, 2), date(2026, 3, 3), Decimal("1250.00"))
    # the 04's 31-character label, then the remittance text continued over two 05 LIB records
    # (cut mid-word at 70 characters: joined as written)
    assert credit.label == ("VIR SEPA RECU OPCO ATLAS FA-2026-000123 AT-2026-012345 FORMATION "
                            "SECURITE INCENDIE SESSION DE MARS 2026 STAGIAIRE DURAND")
    assert (credit.counterparty, credit.counterparty_iban, credit.reference, credit.bank_id) == (
        "OPCO ATLAS", "FR7430003012340001234567890", "OPCOATL-2603-000123", "REF0000000001")
    assert (debit.line, debit.amount, debit.label, debit.counterparty, debit.bank_id) == (
        8, Decimal("-42.57"), "PRLV SEPA URSSAF", "URSSAF ILE DE FRANCE", "42")
    assert {line.account for line in result.lines} == {OURS}
    assert result.lines[0].raw["05[2] LIB"] == REMITTANCE[:70]


def test_cfonb_without_line_breaks_and_with_the_account_given(tmp_path):
    path = cfonb_file(tmp_path, statement_records(), newline="")
    assert [line.amount for line in parsed(path).lines] == [Decimal("1250.00"), Decimal("-42.57")]
    assert parsed(path, account=OURS).account == OURS
    assert parsed(path, account="12345678901").account == OURS  # the bank's account number
    errors = rejected(path, account="FR7630004000031234567890143")
    assert "relevé d'un autre compte que FR7630004000031234567890143" in errors[0].reason


def test_cfonb_balances_that_disagree_are_flagged_not_rejected(tmp_path):
    result = parsed(cfonb_file(tmp_path, statement_records(closing="2200.00")))
    assert len(result.lines) == 2
    [gap] = result.balance_gaps
    assert (gap.opening, gap.entries, gap.closing, gap.gap) == (
        Decimal("1000.00"), Decimal("1207.43"), Decimal("2200.00"), Decimal("-7.43"))


def test_cfonb_other_decimals_and_two_accounts(tmp_path):
    second = dict(bank="30004", desk="00031", account="0001234567A")
    records = [*statement_records(),
               record("01", day="010326", amount="10", decimals=0, **second),
               record("04", day="040326", amount="-19", decimals=0, label="FRAIS", **second),
               record("07", day="310326", amount="-9", decimals=0, **second)]
    result = parsed(cfonb_file(tmp_path, records))
    assert result.account == ""  # two accounts: each line keeps its own
    assert [(line.account, line.amount) for line in result.lines] == [
        (OURS, Decimal("1250.00")), (OURS, Decimal("-42.57")),
        ("FR2230004000310001234567A86", Decimal("-19.00"))]


def test_a_cfonb_file_imports_on_its_account_and_a_balance_gap_is_held_for_review(engine, tmp_path):
    path = cfonb_file(tmp_path, statement_records(closing="2200.00"))
    [outcome] = import_statement_files(
        engine, [path], archive_dir=tmp_path / "archive", rejected_dir=tmp_path / "rejected",
        own_ibans={OURS}, now=datetime(2026, 4, 1, 3, 0, tzinfo=UTC), collection_accounts={OURS})
    assert (outcome.status, outcome.lines, outcome.new_lines, outcome.account, outcome.held) == (
        "imported", 2, 2, OURS, False)
    with engine.connect() as connection:
        assert list(connection.execute(select(BankLine.account, BankLine.amount, BankLine.counterparty)
                                       .order_by(BankLine.id))) == [
            (OURS, Decimal("1250.00"), "OPCO ATLAS"), (OURS, Decimal("-42.57"), "URSSAF ILE DE FRANCE")]
        [reasons] = connection.scalars(select(ReviewItem.reasons).where(
            ReviewItem.key.like("statement-balance:%")))
    assert "écart de -7.43 €" in str(reasons)


@pytest.mark.parametrize(("change", "expected"), [
    # an amount whose last character is no sign letter
    (lambda r: r.__setitem__(1, r[1][:103] + "X" + r[1][104:]),
     (2, "montant (positions 91-104)", "0000000012500X")),
    # a booking date that does not exist
    (lambda r: r.__setitem__(7, r[7][:34] + "310226" + r[7][40:]), (8, "date (positions 35-40)", "310226")),
    # another currency
    (lambda r: r.__setitem__(1, r[1][:16] + "USD" + r[1][19:]), (2, "code devise (positions 17-19)", "USD")),
    # an unknown record
    (lambda r: r.insert(3, "08" + r[3][2:]), (4, "code enregistrement (positions 1-2)", "08")),
    # a complement before any movement
    (lambda r: r.insert(1, complement("LIB", "SANS OPERATION")),
     (2, "code enregistrement (positions 1-2)", "05")),
    # the closing balance missing
    (lambda r: r.pop(), (1, "code enregistrement (positions 1-2)", "01")),
    # a record longer than 120 characters
    (lambda r: r.__setitem__(7, r[7] + "X"), (8, "", "0430006    00001EUR2 12345678901B1050326")),
])
def test_a_malformed_cfonb_file_is_rejected_whole_with_line_column_and_value(tmp_path, change, expected):
    records = statement_records()
    change(records)
    errors = rejected(cfonb_file(tmp_path, records))
    assert located(errors)[:1] == [("releve.cfo", *expected)]
    assert str(errors[0]).startswith(f"releve.cfo, ligne {expected[0]}")


def test_cfonb_three_decimals_with_a_fraction_of_a_cent_are_refused(tmp_path):
    records = [record("01", day="010326", amount="1.000", decimals=3),
               record("04", day="020326", amount="1.005", decimals=3, label="X"),
               record("07", day="310326", amount="2.005", decimals=3)]
    errors = rejected(cfonb_file(tmp_path, records))
    assert located(errors) == [("releve.cfo", 2, "montant (positions 91-104)", "0000000000100E"),
                               ("releve.cfo", 3, "montant (positions 91-104)", "0000000000200E")]
    assert "plus de deux décimales" in errors[0].reason


# --- CSV layouts --------------------------------------------------------------------------------

def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


BNP_2024 = (
    "Compte de chèques ****1234;Solde au 31/03/2026;12 480,55;EUR;;\n"
    ";;;;;\n"
    "Date operation;Categorie operation;Sous Categorie operation;Libelle operation;Montant operation;"
    "Pointage operation\n"
    "31-03-2026;Revenus;Virements reçus;VIR SEPA RECU /DE OPCO ATLAS /MOTIF FA-2026-000123 "
    "/REF OPCOATL-000123;1 250,00;0\n"
    "28-03-2026;Vie quotidienne;Frais bancaires;COMMISSIONS COMPTE PRO MARS;-25,90;0\n"
)


def test_bnp_paribas_export_with_categories(tmp_path):
    result = parsed(write(tmp_path, "export.csv", BNP_2024, "cp1252"))
    assert result.profile == "bnp-paribas-categories"
    assert [(line.line, line.booking_date, line.amount, line.label) for line in result.lines] == [
        (4, date(2026, 3, 31), Decimal("1250.00"),
         "VIR SEPA RECU /DE OPCO ATLAS /MOTIF FA-2026-000123 /REF OPCOATL-000123"),
        (5, date(2026, 3, 28), Decimal("-25.90"), "COMMISSIONS COMPTE PRO MARS")]
    errors = rejected(write(tmp_path, "bad.csv", BNP_2024.replace("28-03-2026", "28-13-2026")))
    assert located(errors) == [("bad.csv", 5, "Date operation", "28-13-2026")]


FORTUNEO_CSV = """Date opération;Date valeur;libellé;Débit;Crédit;
31/03/2026;01/04/2026;VIR OPCO EP FA-2026-000140 EP-2026-004567;; 1 680,00;
27/03/2026;27/03/2026;CARTE 26/03 PAPETERIE DU MARCHE;-6,4;
"""


def test_fortuneo(tmp_path):
    result = parsed(write(tmp_path, "HistoriqueOperations_12345_du_01_03_2026_au_31_03_2026.csv",
                          FORTUNEO_CSV, "cp1252"))
    assert (result.profile, result.encoding) == ("fortuneo", "cp1252")
    assert [(line.line, line.booking_date, line.value_date, line.amount, line.label)
            for line in result.lines] == [
        (2, date(2026, 3, 31), date(2026, 4, 1), Decimal("1680.00"),
         "VIR OPCO EP FA-2026-000140 EP-2026-004567"),
        (3, date(2026, 3, 27), date(2026, 3, 27), Decimal("-6.40"), "CARTE 26/03 PAPETERIE DU MARCHE")]
    errors = rejected(write(tmp_path, "bad.csv", FORTUNEO_CSV.replace("-6,4;", "-6,4;3,00")))
    assert located(errors) == [("bad.csv", 3, "Débit", "-6,4 / 3,00")]


REVOLUT_HEADER = ("Date started (UTC),Date completed (UTC),ID,Type,State,Description,Reference,Payer,"
                  "Card number,Card label,Card state,Orig currency,Orig amount,Payment currency,Amount,"
                  "Total amount,Exchange rate,Fee,Fee currency,Balance,Account,Beneficiary account number,"
                  "Beneficiary sort code or routing number,Beneficiary IBAN,Beneficiary BIC,MCC,"
                  "Related transaction id,Spend program")


def revolut_row(started: str, completed: str, tx_id: str, kind: str, state: str, description: str,
                reference: str, currency: str, amount: str, total: str, fee: str = "0.00") -> str:
    cells = [started, completed, tx_id, kind, state, description, reference, "", "", "", "",
             currency, amount, currency, amount, total, "", fee, currency, "", "EUR Main", "", "", "",
             "", "", "", ""]
    return ",".join(cells)


REVOLUT = "\n".join([
    REVOLUT_HEADER,
    revolut_row("2026-03-30 16:02:11", "2026-03-31 08:15:40", "6a1f0c2e-0001", "TOPUP", "COMPLETED",
                "Money added from OPCO ATLAS", "FA-2026-000123", "EUR", "1250.00", "1250.00"),
    revolut_row("2026-03-29 10:00:00", "2026-03-29 10:00:02", "6a1f0c2e-0002", "TRANSFER", "COMPLETED",
                "To MARTIN ELODIE", "PAY-2026-0042", "EUR", "-680.00", "-680.20", "0.20"),
    revolut_row("2026-03-31 09:00:00", "", "6a1f0c2e-0003", "TRANSFER", "PENDING",
                "To DURAND", "PAY-2026-0043", "EUR", "-100.00", "-100.00"),
    revolut_row("2026-03-28 09:00:00", "2026-03-28 09:00:00", "6a1f0c2e-0004", "CARD_PAYMENT",
                "DECLINED", "Amazon", "", "EUR", "-15.99", "-15.99"),
]) + "\n"


def test_revolut_business(tmp_path):
    result = parsed(write(tmp_path, "transaction-statement.csv", REVOLUT))
    assert result.profile == "revolut-business"
    assert [(line.line, line.booking_date, line.value_date, line.amount, line.label, line.reference,
             line.bank_id) for line in result.lines] == [
        (2, date(2026, 3, 31), date(2026, 3, 30), Decimal("1250.00"),
         "Money added from OPCO ATLAS FA-2026-000123", "FA-2026-000123", "6a1f0c2e-0001"),
        (3, date(2026, 3, 29), date(2026, 3, 29), Decimal("-680.20"),  # the fee included
         "To MARTIN ELODIE PAY-2026-0042", "PAY-2026-0042", "6a1f0c2e-0002"),
    ]  # pending and declined rows skipped


def test_a_revolut_line_in_another_currency_rejects_the_file(tmp_path):
    text = REVOLUT.replace("EUR,1250.00,EUR,1250.00,1250.00", "USD,1250.00,USD,1250.00,1250.00")
    errors = rejected(write(tmp_path, "usd.csv", text))
    assert located(errors) == [("usd.csv", 2, "Payment currency", "USD")]
    assert "devise autre que l'euro" in errors[0].reason


LCL_CSV = """02/03/2026;1980,00;Virement;VIR SEPA OPCO 2I FA-2026-000170;0;;;
03/03/2026;-1450,00;Prélèvement;PRLV SEPA LOYER LOCAUX MARS;0;;;
05/03/2026;-12,40;Carte;CB PAPETERIE 04/03/26;0;;;
"""


def test_lcl_headerless_export_is_recognised_by_its_first_row(tmp_path):
    result = parsed(write(tmp_path, "T_cpte_00737_691594V_du_01-03-2026_au_31-03-2026.csv", LCL_CSV,
                          "cp1252"))
    assert result.profile == "lcl"
    assert [(line.line, line.booking_date, line.amount, line.label) for line in result.lines] == [
        (1, date(2026, 3, 2), Decimal("1980.00"), "VIR SEPA OPCO 2I FA-2026-000170"),
        (2, date(2026, 3, 3), Decimal("-1450.00"), "PRLV SEPA LOYER LOCAUX MARS"),
        (3, date(2026, 3, 5), Decimal("-12.40"), "CB PAPETERIE 04/03/26")]
    errors = rejected(write(tmp_path, "bad.csv", LCL_CSV.replace("-1450,00", "-1450.00")))
    assert located(errors) == [("bad.csv", 2, "montant", "-1450.00")]
    other = rejected(write(tmp_path, "other.csv", LCL_CSV.replace("Virement", "Autre chose")))
    assert "format de relevé non reconnu" in other[0].reason
