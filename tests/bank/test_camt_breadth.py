"""camt.053 at real-world breadth (issue 18, part 3): versions .02 to .08, reversals and returns,
booking date-times in Paris time, label fallbacks, the balance check, charges.

Each file is written here, from the layout of ISO 20022 camt.053 (the message definitions of
.02 to .08: `Sts` plain up to .06 and `Sts/Cd` from .07, `Pty/Nm` for a party from .08,
`Chrgs` repeated with its `Amt` in .02/.03 and one `Chrgs` of `Rcrd`s from .04)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.bank_files import ParsedStatement, read_statement

OURS = "FR7630006000011234567890189"
ATLAS = "FR7430003012340001234567890"


def camt(version: str, entries: str, *, account: str = f"<IBAN>{OURS}</IBAN>",
         balances: tuple[str, str] | None = None) -> str:
    bal = ""
    if balances:
        bal = "".join(
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f"<Amt Ccy=\"EUR\">{amount.lstrip('-')}</Amt>"
            f"<CdtDbtInd>{'DBIT' if amount.startswith('-') else 'CRDT'}</CdtDbtInd>"
            f"<Dt><Dt>2026-03-31</Dt></Dt></Bal>"
            for code, amount in zip(("OPBD", "CLBD"), balances, strict=True))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">'
            f"<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-31T20:00:00</CreDtTm></GrpHdr>"
            f"<Stmt><Id>S-{version}</Id><CreDtTm>2026-03-31T20:00:00</CreDtTm>"
            f"<Acct><Id>{account}</Id><Ccy>EUR</Ccy></Acct>{bal}{entries}</Stmt>"
            f"</BkToCstmrStmt></Document>\n")


def entry(amount: str, indicator: str, *, version: str = "04", booked: str = "<Dt>2026-03-31</Dt>",
          details: str = "", extra: str = "", info: str = "") -> str:
    status = "<Sts><Cd>BOOK</Cd></Sts>" if int(version) >= 7 else "<Sts>BOOK</Sts>"
    return (f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>{extra}{status}'
            f"<BookgDt>{booked}</BookgDt><ValDt><Dt>2026-03-31</Dt></ValDt>"
            f"<AcctSvcrRef>R{amount}</AcctSvcrRef>"
            f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"{'<NtryDtls>' + details + '</NtryDtls>' if details else ''}"
            f"{f'<AddtlNtryInf>{info}</AddtlNtryInf>' if info else ''}</Ntry>")


def party(role: str, name: str, iban: str, version: str) -> str:
    named = f"<Pty><Nm>{name}</Nm></Pty>" if int(version) >= 8 else f"<Nm>{name}</Nm>"
    return f"<{role}>{named}</{role}><{role}Acct><Id><IBAN>{iban}</IBAN></Id></{role}Acct>"


def read(tmp_path: Path, text: str, name: str = "releve.xml") -> ParsedStatement:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = read_statement(path)
    assert isinstance(result, ParsedStatement), [str(e) for e in result]
    return result


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06", "07", "08"])
def test_every_version_from_02_to_08_is_read_alike(tmp_path, version):
    details = (f"<TxDtls><Refs><EndToEndId>E2E-1</EndToEndId></Refs>"
               f"<RltdPties>{party('Dbtr', 'OPCO ATLAS', ATLAS, version)}</RltdPties>"
               f"<RmtInf><Ustrd>FA-2026-000123</Ustrd></RmtInf></TxDtls>")
    result = read(tmp_path, camt(version, entry("1250.00", "CRDT", version=version, details=details)))
    assert result.profile == f"camt.053.001.{version}" and result.account == OURS
    [line] = result.lines
    assert (line.amount, line.label, line.counterparty, line.counterparty_iban, line.reference) == (
        Decimal("1250.00"), "FA-2026-000123", "OPCO ATLAS", ATLAS, "E2E-1")
    assert not line.reversal and line.charges is None


def test_a_reversed_credit_is_flagged_and_names_its_payer_from_dbtr(tmp_path):
    details = (f"<TxDtls><Refs><EndToEndId>E2E-1</EndToEndId></Refs>"
               f"<RltdPties>{party('Dbtr', 'OPCO ATLAS', ATLAS, '04')}"
               f"{party('Cdtr', 'NOUS', OURS, '04')}</RltdPties>"
               f"<RmtInf><Ustrd>FA-2026-000123</Ustrd></RmtInf></TxDtls>")
    result = read(tmp_path, camt("04", entry("1250.00", "DBIT", details=details,
                                             extra="<RvslInd>true</RvslInd>")))
    [line] = result.lines
    assert line.reversal and line.amount == Decimal("-1250.00")
    assert (line.counterparty, line.counterparty_iban) == ("OPCO ATLAS", ATLAS)
    assert line.raw["RvslInd"] == "true"


def test_a_returned_debit_names_its_debtor_and_its_return_reason(tmp_path):
    details = (f"<TxDtls><Refs><EndToEndId>E2E-9</EndToEndId></Refs>"
               f"<RltdPties>{party('Dbtr', 'OPCO EP', ATLAS, '08')}</RltdPties>"
               f"<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls>")
    [line] = read(tmp_path, camt("08", entry("300.00", "DBIT", version="08", details=details))).lines
    assert line.reversal and (line.counterparty, line.raw["RtrInf"]) == ("OPCO EP", "AC04")


def test_an_ordinary_debit_still_names_its_creditor(tmp_path):
    details = (f"<TxDtls><RltdPties>{party('Dbtr', 'NOUS', OURS, '04')}"
               f"{party('Cdtr', 'SALLE LYON', ATLAS, '04')}</RltdPties></TxDtls>")
    [line] = read(tmp_path, camt("04", entry("160.00", "DBIT", details=details, info="LOYER"))).lines
    assert (line.counterparty, line.reversal, line.label) == ("SALLE LYON", False, "LOYER")


@pytest.mark.parametrize(("booked", "day"), [
    ("<DtTm>2014-01-04T23:00:00Z</DtTm>", date(2014, 1, 5)),  # midnight in Paris (UTC+1)
    ("<DtTm>2014-07-04T22:30:00+00:00</DtTm>", date(2014, 7, 5)),  # 00:30 in Paris (UTC+2)
    ("<DtTm>2014-01-04T23:00:00</DtTm>", date(2014, 1, 4)),  # no offset: Paris time already
    ("<DtTm>2014-01-04T23:30:00+01:00</DtTm>", date(2014, 1, 4)),
    ("<Dt>2014-01-04</Dt>", date(2014, 1, 4)),
])
def test_booking_date_times_are_paris_dates(tmp_path, booked, day):
    [line] = read(tmp_path, camt("04", entry("10.00", "CRDT", booked=booked, info="VIR"))).lines
    assert line.booking_date == day


def test_an_unreadable_booking_date_time_rejects_the_file_with_its_location(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text(camt("04", entry("10.00", "CRDT", booked="<DtTm>2014-13-04T23:00:00Z</DtTm>")))
    [error] = read_statement(path)
    assert (error.file, error.line, error.column, error.value) == (
        "r.xml", 1, "Ntry/BookgDt", "2014-13-04T23:00:00Z")


def test_the_label_falls_back_through_structured_references_then_the_batch_id(tmp_path):
    structured = ("<TxDtls><RmtInf><Strd><RfrdDocInf><Nb>FA-2026-000124</Nb></RfrdDocInf>"
                  "<CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>")
    batch = "<Btch><PmtInfId>PAYOUTS-2026-03-31</PmtInfId><NbOfTxs>1</NbOfTxs></Btch><TxDtls/>"
    addtl = "<TxDtls><AddtlTxInf>VIR RECU DE OPCO   EP</AddtlTxInf></TxDtls>"
    result = read(tmp_path, camt("05", entry("10.00", "CRDT", details=structured)
                                 + entry("20.00", "DBIT", details=batch)
                                 + entry("30.00", "CRDT", details=addtl, info="IGNORE")))
    first, second, third = result.lines
    assert (first.label, first.reference) == ("RF18539007547034 FA-2026-000124",
                                              "RF18539007547034 FA-2026-000124")
    assert (second.label, second.raw["PmtInfId"]) == ("PAYOUTS-2026-03-31", "PAYOUTS-2026-03-31")
    assert third.label == "VIR RECU DE OPCO EP"


def test_balances_that_add_up_flag_nothing(tmp_path):
    entries = entry("1250.00", "CRDT", info="A") + entry("250.50", "DBIT", info="B")
    result = read(tmp_path, camt("04", entries, balances=("-100.00", "899.50")))
    assert result.balance_gaps == ()


def test_a_balance_gap_is_imported_and_names_both_balances_and_the_gap(tmp_path):
    entries = entry("1250.00", "CRDT", info="A") + entry("250.50", "DBIT", info="B")
    result = read(tmp_path, camt("04", entries, balances=("1000.00", "2000.00")))
    assert len(result.lines) == 2
    [gap] = result.balance_gaps
    assert (gap.opening, gap.entries, gap.closing, gap.gap) == (
        Decimal("1000.00"), Decimal("999.50"), Decimal("2000.00"), Decimal("0.50"))
    assert str(gap) == (f"relevé S-04 ({OURS}) : solde d'ouverture 1000.00 € + écritures 999.50 € = "
                        "1999.50 €, solde de clôture 2000.00 € : écart de 0.50 €")


def test_a_statement_without_both_balances_is_not_checked(tmp_path):
    text = camt("04", entry("10.00", "CRDT", info="A"), balances=("0.00", "99.00"))
    text = text.replace("<Cd>CLBD</Cd>", "<Cd>ITBD</Cd>")
    assert read(tmp_path, text).balance_gaps == ()


@pytest.mark.parametrize(("version", "charges"), [
    ("02", '<Chrgs><Amt Ccy="EUR">1.50</Amt></Chrgs><Chrgs><Amt Ccy="EUR">0.30</Amt></Chrgs>'),
    ("04", '<Chrgs><TtlChrgsAndTaxAmt Ccy="EUR">1.80</TtlChrgsAndTaxAmt>'
           '<Rcrd><Amt Ccy="EUR">1.50</Amt></Rcrd><Rcrd><Amt Ccy="EUR">0.30</Amt></Rcrd></Chrgs>'),
    ("08", '<Chrgs><TtlChrgsAndTaxAmt Ccy="EUR">1.80</TtlChrgsAndTaxAmt></Chrgs>'),
])
def test_charges_are_recorded_on_their_line(tmp_path, version, charges):
    [line] = read(tmp_path, camt(version, entry("98.20", "CRDT", version=version, extra="",
                                                details=f"<TxDtls>{charges}</TxDtls>", info="VIR"))).lines
    assert line.charges == Decimal("1.80") and line.raw["Chrgs"] == "1.80"


def test_charges_in_another_currency_reject_the_file(tmp_path):
    path = tmp_path / "r.xml"
    path.write_text(camt("02", entry("98.20", "CRDT", details='<TxDtls><Chrgs><Amt Ccy="USD">1.50</Amt>'
                                                             "</Chrgs></TxDtls>")))
    [error] = read_statement(path)
    assert (error.column, error.value) == ("Ntry/NtryDtls/TxDtls/Chrgs/Amt", "1.50 USD")


def test_an_account_known_by_another_identification(tmp_path):
    result = read(tmp_path, camt("04", entry("10.00", "CRDT", info="A"),
                                 account="<Othr><Id>000 123 456 78</Id></Othr>"))
    assert result.account == "00012345678" and result.lines[0].account == "00012345678"
