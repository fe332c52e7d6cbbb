"""The pure rules of the books: the chart, what each document posts, balancing, lettering,
numbering, closed periods, and the FEC's format rules (backoffice/accounting.py, fec.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.accounting import (
    POSTINGS,
    ROLES,
    ChartError,
    Entry,
    Line,
    chart_from_rows,
    corrections,
    letter_code,
    lettering,
    number_entries,
    unbalanced,
)
from backoffice.fec import COLUMNS, check_fec, fec_amount, fec_rows, fec_text, file_name
from services.accounting import load_chart

D1, D2, D3 = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)


def sale(number: str, day: date, ttc: int, aux: str = "OPCO-ATLAS") -> Entry:
    return Entry("VT", f"invoice:{number}", day, number, day, f"Facture {number}", (
        Line("411", "Clients", ttc, aux, "ATLAS", number), Line("706", "Prestations", -ttc)))


def payment(line_id: int, day: date, paid: dict[str, int], aux: str = "OPCO-ATLAS") -> Entry:
    total = sum(paid.values())
    return Entry("BQ", f"bank:{line_id:09d}", day, f"RLV-{line_id}", day, "VIR RECU", (
        Line("512", "Banques", total),
        *(Line("411", "Clients", -amount, aux, "ATLAS", number) for number, amount in paid.items())))


# --- the chart ----------------------------------------------------------------------------------

def test_the_chart_file_gives_every_role_a_pcg_account():
    chart = load_chart()
    assert set(chart.accounts) == set(ROLES)
    assert (chart["sales"].number, chart["customers"].number, chart["subcontracting"].number,
            chart["suspense"].number) == ("706", "411", "604", "471")


def test_a_chart_without_a_role_or_with_a_non_pcg_number_is_refused():
    rows = [{"role": role, "number": "471", "label": "x"} for role in ROLES]
    with pytest.raises(ChartError, match="sans compte"):
        chart_from_rows(rows[1:])
    with pytest.raises(ChartError, match="trois premiers"):
        chart_from_rows([{**rows[0], "number": "CLI411"}, *rows[1:]])
    with pytest.raises(ChartError, match="inconnu"):
        chart_from_rows([*rows, {"role": "cash", "number": "530", "label": "Caisse"}])


# --- what each document posts --------------------------------------------------------------------

@given(ht=st.integers(0, 10**9), vat=st.integers(0, 10**8))
def test_every_document_posts_a_balanced_entry(ht, vat):
    amounts = {"ht": ht, "vat": vat, "ttc": ht + vat}
    for kind, postings in POSTINGS.items():
        assert sum(sign * amounts[amount] for _, sign, amount in postings) == 0, kind


def test_a_credit_note_posts_the_invoice_reversed():
    invoice = {(role, amount): sign for role, sign, amount in POSTINGS["invoice"]}
    note = {(role, amount): sign for role, sign, amount in POSTINGS["credit_note"]}
    assert note == {key: -sign for key, sign in invoice.items()}


def test_an_unbalanced_entry_is_found():
    good = sale("FA-1", D1, 1000)
    bad = replace(good, lines=(*good.lines, Line("471", "Attente", 1)))
    assert unbalanced([good, bad]) == [bad]
    assert unbalanced([replace(good, lines=())]) != []


# --- lettering -----------------------------------------------------------------------------------

def test_letter_codes_run_aa_to_zz_then_three_letters():
    assert [letter_code(i) for i in (0, 1, 25, 26, 675, 676)] == [
        "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def lines_of(*entries: Entry):
    return [((entry.event, index), line.account, line.aux, line.key, line.amount, entry.day)
            for entry in entries for index, line in enumerate(entry.lines)]


def test_an_invoice_paid_in_two_parts_is_lettered_on_the_last_payment_a_partial_one_is_not():
    paid_twice = sale("FA-1", D1, 1000)
    partly = sale("FA-2", D1, 500)
    other = sale("FA-3", D1, 700, aux="CLI-C-001")
    letters = lettering(lines_of(paid_twice, partly, other,
                                 payment(1, D2, {"FA-1": 400, "FA-2": 100}),
                                 payment(2, D3, {"FA-1": 600}),
                                 payment(3, D3, {"FA-3": 700}, aux="CLI-C-001")))
    assert {key[0] for key in letters} == {"invoice:FA-1", "bank:000000001", "bank:000000002",
                                            "invoice:FA-3", "bank:000000003"}
    assert letters[("invoice:FA-1", 0)].code == letters[("bank:000000002", 1)].code == "AA"
    assert letters[("invoice:FA-1", 0)].day == D3  # the last settling entry
    assert ("bank:000000001", 2) not in letters  # FA-2's part: not settled
    assert letters[("invoice:FA-3", 0)].code == "AA"  # codes are per auxiliary account


# --- numbering and closed periods ----------------------------------------------------------------

def test_entries_are_numbered_per_journal_and_year_in_date_order_after_the_closed_ones():
    closed = replace(sale("FA-1", D1, 100), number="VT000001", valid_date=D2)
    entries = number_entries([sale("FA-3", D3, 100), sale("FA-2", D2, 100), closed,
                              payment(7, D2, {"FA-1": 100}),
                              sale("FA-9", date(2027, 1, 2), 100)])
    assert [(e.event, e.number) for e in entries] == [
        ("invoice:FA-1", "VT000001"), ("bank:000000007", "BQ000001"),
        ("invoice:FA-2", "VT000002"), ("invoice:FA-3", "VT000003"),
        ("invoice:FA-9", "VT000001")]  # a new year starts again at 1


def test_a_closed_period_is_never_changed_what_changed_is_a_correction_in_the_open_period():
    posted_sale, posted_bank = sale("FA-1", D1, 1000), payment(5, D1, {})
    posted_bank = replace(posted_bank, lines=(Line("512", "Banques", 1000),
                                              Line("471", "Attente", -1000)))
    late = sale("FA-2", D1, 300)  # dated in the closed period, not posted yet
    paid_now = payment(5, D1, {"FA-1": 1000})  # the line explained since: an allocation
    gone = sale("FA-0", D1, 50)  # posted, and no longer in the ledger: reversed

    result = corrections([posted_sale, paid_now, late], [posted_sale, posted_bank, gone],
                         closed_through=D1)

    assert [e.event for e in result] == ["bank:000000005", "invoice:FA-2", "invoice:FA-0"]
    correction, posted_late, reversed_ = result
    assert sorted((line.account, line.amount) for line in reversed_.lines) == [
        ("411", -50), ("706", 50)]
    assert correction.day == posted_late.day == D2  # the first day of the open period
    assert correction.label.startswith("Correction, période close")
    assert sorted((line.account, line.amount) for line in correction.lines) == [
        ("411", -1000), ("471", 1000)]
    assert "opération du 30/11/2026, période close" in posted_late.label
    assert unbalanced(result) == []


# --- the FEC -------------------------------------------------------------------------------------

def test_amounts_dates_and_the_file_name_as_the_fec_wants_them():
    assert [fec_amount(c) for c in (0, 5, 123456, -1999)] == ["0,00", "0,05", "1234,56", "19,99"]
    assert file_name("732829320", date(2026, 12, 31)) == "732829320FEC20261231.txt"
    with pytest.raises(ValueError):
        file_name("73282932000074", date(2026, 12, 31))


def fec_of(*entries: Entry) -> str:
    numbered = number_entries(entries)
    letters = lettering(((e.number, i), line.account, line.aux, line.key, line.amount, e.day)
                        for e in numbered for i, line in enumerate(e.lines))
    return fec_text(fec_rows(numbered, letters, D3))


def test_a_right_fec_passes_and_each_broken_rule_is_named():
    text = fec_of(sale("FA-1", D1, 100000), sale("FA-2", D1, 50000),
                  payment(1, D2, {"FA-1": 100000}))
    assert check_fec(text, "732829320FEC20261231.txt") == []
    header, first, *_ = text.split("\r\n")
    assert header.split("\t") == list(COLUMNS) and len(first.split("\t")) == 18

    def broken(old: str, new: str, count: int = 1) -> list[str]:
        return check_fec(text.replace(old, new, count))

    assert any("virgule" in p for p in broken("1000,00", "1000.00"))
    assert any("AAAAMMJJ" in p for p in broken("20261130", "2026-11-30"))
    assert any("déséquilibrée" in p for p in broken("\t500,00\t", "\t500,01\t"))
    assert any("total débit" in p for p in broken("\t500,00\t", "\t500,01\t"))
    assert any("trou" in p for p in check_fec(text.replace("VT000002", "VT000003")))
    assert any("lettrage AA" in p for p in check_fec(text.replace("\t\t\t20261202\t\t\r\n",
                                                                  "\tAA\t20261201\t20261202\t\t\r\n")))
    assert any("en-tête" in p for p in check_fec(text.replace("Idevise", "Devise")))
    assert any("nom de fichier" in p for p in check_fec(text, "FEC2026.txt"))


def test_every_account_cites_a_source_defined_in_the_chart_file():
    from adapters.reference_data import read_rows
    from services.accounting import CHART_FILE

    lines = CHART_FILE.read_text(encoding="utf-8").splitlines()
    defined = {line.split("]")[0].removeprefix("# [") for line in lines if line.startswith("# [")}
    cited = {source for _, row in read_rows(CHART_FILE) for source in row["source"].split(";")}
    assert cited and cited <= defined
