"""Each statement line's account (issue 18, part 1): from the file (camt `IBAN` or `Othr/Id`, a CSV
account column) or from the import; fingerprints include it; only the collection accounts feed
matching; a file of an account none of ours is imported and held for review. SQLite and PostgreSQL.

The BoursoBank export is written here in the layout of its header
(`dateOp;dateVal;label;category;categoryParent;supplierFound;amount;comment;accountNum;accountLabel;
accountbalance`: firefly-iii/import-configurations fr/boursorama, kledg presets)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import BankLine, ReviewItem
from services.payments import match_payments
from services.statements import import_statement_files
from tests.bank.test_camt_breadth import camt, entry
from tests.services.test_payments import NOW, setup_invoices

COLLECTION = "FR7630006000011234567890189"  # the marketplace's account: funders pay here
SAVINGS = "FR4130006000019876543210900"
BOURSO_HEADER = ("dateOp;dateVal;label;category;categoryParent;supplierFound;amount;comment;"
                 "accountNum;accountLabel;accountbalance\n")


def bourso(folder: Path, name: str, rows: list[tuple[str, str, str, str]]) -> Path:
    """(date, label, amount, account number) rows of a BoursoBank export."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(BOURSO_HEADER + "".join(
        f'{day};{day};"{label}";"Virements reçus";"Virements reçus";;{amount};;{number};Compte;0\n'
        for day, label, amount, number in rows), encoding="utf-8")
    return path


def load(engine, tmp_path, *paths, account="", other=()):
    outcomes = import_statement_files(
        engine, list(paths), archive_dir=tmp_path / "archive", rejected_dir=tmp_path / "rejected",
        own_ibans={COLLECTION, *other}, now=NOW, account=account, collection_accounts={COLLECTION})
    return outcomes, match_payments(engine, now=NOW, collection_accounts={COLLECTION})


def lines(engine) -> list[tuple[str, str]]:
    with unit_of_work(engine) as db:
        return [(line.account, line.label) for line in db.scalars(select(BankLine).order_by(BankLine.id))]


def test_a_two_account_export_keeps_both_accounts_apart(engine, tmp_path):
    opco = setup_invoices(engine, tmp_path)["opco"]
    path = bourso(tmp_path / "in", "export.csv", [
        ("2027-01-04", f"VIR SEPA OPCO ATLAS {opco.number} AT-2026-012345", "1 837,50", "00011234567"),
        ("2027-01-04", f"VIR SEPA OPCO ATLAS {opco.number} AT-2026-012345", "1 837,50", "00019876543")])

    outcomes, report = load(engine, tmp_path, path, other=("00011234567", "00019876543"))

    assert outcomes[0].new_lines == 2 and not outcomes[0].held
    assert [account for account, _ in lines(engine)] == ["00011234567", "00019876543"]
    assert report.applied == report.review == []  # neither is a collection account: nothing matched


def test_the_same_lines_of_another_account_are_new_lines(engine, tmp_path):
    setup_invoices(engine, tmp_path)
    rows = [("2027-01-04", "VIR SEPA X", "10,00", "")]
    first = bourso(tmp_path / "a", "export.csv", rows)
    second = bourso(tmp_path / "b", "export.csv", [*rows, ("2027-01-05", "VIR SEPA Y", "1,00", "")])

    load(engine, tmp_path, first, account=COLLECTION)
    outcomes, _ = load(engine, tmp_path, second, account=SAVINGS, other=(SAVINGS,))

    assert outcomes[0].new_lines == 2  # fingerprints include the account
    assert lines(engine) == [(COLLECTION, "VIR SEPA X"), (SAVINGS, "VIR SEPA X"), (SAVINGS, "VIR SEPA Y")]


def test_the_account_given_with_the_import_feeds_matching(engine, tmp_path):
    opco = setup_invoices(engine, tmp_path)["opco"]
    path = bourso(tmp_path / "in", "export.csv", [
        ("2027-01-04", f"VIR SEPA OPCO ATLAS {opco.number} AT-2026-012345", "1 837,50", "")])
    outcomes, report = load(engine, tmp_path, path, account=COLLECTION)
    assert outcomes[0].account == COLLECTION and len(report.applied) == 1


def test_an_account_number_column_within_the_given_iban_is_that_account(engine, tmp_path):
    setup_invoices(engine, tmp_path)
    path = bourso(tmp_path / "in", "export.csv", [("2027-01-04", "VIR SEPA X", "10,00", "00011234567")])
    load(engine, tmp_path, path, account=COLLECTION)
    assert lines(engine) == [(COLLECTION, "VIR SEPA X")]


def test_a_file_of_an_unknown_account_is_held_for_review_and_not_matched(engine, tmp_path):
    opco = setup_invoices(engine, tmp_path)["opco"]
    path = tmp_path / "in" / "autre.xml"
    path.parent.mkdir()
    path.write_text(camt("04", entry("1837.50", "CRDT", info=f"VIR {opco.number} AT-2026-012345"),
                         account=f"<IBAN>{SAVINGS}</IBAN>"), encoding="utf-8")

    outcomes, report = load(engine, tmp_path, path)

    assert outcomes[0].status == "imported" and outcomes[0].held and outcomes[0].new_lines == 1
    assert report.applied == report.review == []
    with unit_of_work(engine) as db:
        item = db.scalars(select(ReviewItem)).one()
    assert (item.kind, item.key.split(":")[0]) == ("statement", "statement-account")
    assert "FR41 **** **** **** **** ***0 900" in item.reasons[0] and SAVINGS not in item.reasons[0]

    _, later = load(engine, tmp_path, other=(SAVINGS,))  # declared as another account: still not matched
    assert later.applied == later.review == []
