"""A demo bank statement paying the demo's invoices, with the usual traps.

Written after the demo's invoices exist (their numbers come from the pipeline), as the
Société Générale CSV export (cp1252, ';', an account line before the header): OPCO transfers
quoting the invoice number, one transfer grouping two invoices of a dossier, a partial
payment, a company payment with no usable reference, an amount that matches nothing, a bank
fee and our own outgoing transfer. Deterministic: same invoices, same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path


@dataclass(frozen=True, slots=True)
class DemoInvoice:
    number: str
    funder_kind: str
    funder_name: str
    dossier_number: str | None
    total_ttc: Decimal


HEADER = "Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise"


def _amount(value: Decimal) -> str:
    units, cents = f"{value:.2f}".split(".")
    groups = []
    sign = "-" if units.startswith("-") else ""
    units = units.lstrip("-")
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{' '.join(groups)},{cents}"


def statement_rows(invoices: list[DemoInvoice], day: date) -> list[str]:
    opco = [i for i in invoices if i.funder_kind == "opco"]
    company = [i for i in invoices if i.funder_kind == "company"]
    when = f"{day:%d/%m/%Y}"
    rows = []
    for invoice in opco[:4]:  # quoted by number: applied automatically
        rows.append(f"{when};VIR RECU;VIR RECU DE: {invoice.funder_name[:30].upper()} "
                    f"MOTIF: {invoice.number} {invoice.dossier_number or ''};"
                    f"{_amount(invoice.total_ttc)};EUR")
    if len(opco) >= 6:  # one transfer for two invoices, quoting both dossier numbers
        pair = opco[4:6]
        rows.append(f"{when};VIR RECU;VIR RECU DE: OPCO REGLEMENT GROUPE DOSSIERS "
                    f"{pair[0].dossier_number} {pair[1].dossier_number};"
                    f"{_amount(pair[0].total_ttc + pair[1].total_ttc)};EUR")
    if company:  # a partial payment quoting the invoice
        first = company[0]
        rows.append(f"{when};VIR RECU;VIR RECU ACOMPTE {first.number};"
                    f"{_amount((first.total_ttc / 2).quantize(Decimal('0.01')))};EUR")
    if len(company) >= 2:  # no usable reference, only the amount: for an operator
        rows.append(f"{when};VIR RECU;VIR RECU REF CLIENT 4471 20261130;"
                    f"{_amount(company[1].total_ttc)};EUR")
    rows.append(f"{when};VIR RECU;VIR RECU REMBOURSEMENT TROP PERCU;123,45;EUR")
    rows.append(f"{when};COMMISSION;COMMISSION TENUE DE COMPTE;-18,00;EUR")
    rows.append(f"{when};VIR SEPA EMIS;VIR SEPA EMIS LOYER BUREAUX DECEMBRE;-640,00;EUR")
    return rows


def write_demo_statement(invoices: list[DemoInvoice], folder: Path, day: date) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"societe-generale-{day:%Y%m%d}.csv"
    lines = ['="0001234567890";01/12/2026;31/12/2026;', "", HEADER,
             *statement_rows(invoices, day)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


@dataclass(frozen=True, slots=True)
class DemoTransfer:
    """A payout as the bank books it: one transaction of a batch-booked debit."""
    payout_id: str
    creditor_name: str
    creditor_iban: str
    amount: Decimal
    remittance: str


def camt_payout_statement(account_iban: str, batch_id: str, transfers: list[DemoTransfer],
                          day: date) -> bytes:
    """A camt.053.001.02 of `day` booking the batch as one debit with one TxDtls per transfer
    (BtchBookg=true), each carrying our EndToEndId — what a French bank sends back."""
    from xml.sax.saxutils import escape

    total = sum((t.amount for t in transfers), Decimal("0.00"))
    details = "".join(f"""
          <TxDtls>
            <Refs><PmtInfId>{batch_id}</PmtInfId><EndToEndId>{t.payout_id}</EndToEndId></Refs>
            <AmtDtls><TxAmt><Amt Ccy="EUR">{t.amount:.2f}</Amt></TxAmt></AmtDtls>
            <RltdPties>
              <Cdtr><Nm>{escape(t.creditor_name)}</Nm></Cdtr>
              <CdtrAcct><Id><IBAN>{t.creditor_iban}</IBAN></Id></CdtrAcct>
            </RltdPties>
            <RmtInf><Ustrd>{escape(t.remittance)}</Ustrd></RmtInf>
          </TxDtls>""" for t in transfers)
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>CAMT053-{day:%Y%m%d}-{batch_id[-11:]}</MsgId><CreDtTm>{day.isoformat()}T20:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{day:%Y%m%d}-0001</Id>
      <CreDtTm>{day.isoformat()}T20:00:00</CreDtTm>
      <Acct><Id><IBAN>{account_iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <Amt Ccy="EUR">{total:.2f}</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>{day.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{day.isoformat()}</Dt></ValDt>
        <AcctSvcrRef>{day:%y%m%d}{batch_id[-2:]}0001</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <Btch><PmtInfId>{batch_id}</PmtInfId><NbOfTxs>{len(transfers)}</NbOfTxs>
            <TtlAmt Ccy="EUR">{total:.2f}</TtlAmt></Btch>{details}
        </NtryDtls>
        <AddtlNtryInf>VIREMENTS SEPA EMIS REMISE {batch_id} {len(transfers)} OPERATIONS</AddtlNtryInf>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""
    return xml.encode("utf-8")
