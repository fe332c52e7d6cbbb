"""The invoices and credit notes services/invoicing.py issues and sends, on SQLite and PostgreSQL:
the Factur-X each PDF carries passes the XSD and both schematrons (EN 16931, BR-FR)."""

from __future__ import annotations

from decimal import Decimal

from adapters.facturx import read_facturx_xml
from adapters.reference_data import reference_data
from services.invoicing import bill_remainder_to_company, issue_credit_note, send_pending_invoices
from tests.invoicing.kinds import assert_valid_facturx
from tests.services.test_invoices import (
    AS_OF,
    MARKETPLACE,
    NOW,
    S001_DONE,
    TERMS,
    invoices,
    issue,
    prepare,
)


def issue_all_kinds(engine, tmp_path):
    """An OPCO invoice, company invoices, a whole credit note and a partial one, sent."""
    prepare(engine, tmp_path, **S001_DONE)
    issue(engine)
    issued = {(i.session_ref, i.invoice_key): n for n, i in invoices(engine).items()}
    issue_credit_note(engine, number=issued[("S-002", "company")], reason="prix corrigé",
                      as_of=AS_OF, now=NOW, marketplace=MARKETPLACE, reference=reference_data(),
                      terms=TERMS)
    bill_remainder_to_company(engine, number=issued[("S-001", "opco")], paid=Decimal("1500.00"),
                              note="plafond annuel atteint", as_of=AS_OF, now=NOW,
                              marketplace=MARKETPLACE, reference=reference_data(), terms=TERMS)
    out = tmp_path / "out"
    send_pending_invoices(engine, output_dir=out, now=NOW, marketplace=MARKETPLACE,
                          reference=reference_data())
    return {number: read_facturx_xml((out / invoice.pdf_path).read_bytes())
            for number, invoice in invoices(engine).items()}, invoices(engine)


def test_every_invoice_issued_carries_a_factur_x_that_passes_the_three_validations(engine,
                                                                                  tmp_path):
    xmls, stored = issue_all_kinds(engine, tmp_path)

    kinds = sorted(invoice.kind for invoice in stored.values())
    assert kinds == ["credit_note"] * 2 + ["invoice"] * 4
    for xml in xmls.values():  # credit notes included: they date the invoice they cancel
        assert_valid_facturx(xml)
