"""Invoices rendered in worker processes: each its own PDF/A-3 with its Factur-X, in order; an
invoice whose XML cannot be made comes back as its error, and the others are rendered."""

from __future__ import annotations

import dataclasses
import io

from pypdf import PdfReader

from adapters.facturx import FacturXError
from adapters.settings import Marketplace
from services.invoicing import invoice_html
from services.rendering import render_facturx_pdfs, render_pdfs
from tests.invoicing.kinds import COMPANY_INVOICE, OPCO, OPCO_INVOICE


def attached_xml(pdf: bytes) -> bytes:
    return PdfReader(io.BytesIO(pdf)).attachments["factur-x.xml"][0]


def test_invoices_rendered_by_two_workers_come_back_in_order_with_their_errors():
    unknown_buyer = dataclasses.replace(OPCO_INVOICE, buyer=dataclasses.replace(OPCO, siren="356000000"))
    invoices = [COMPANY_INVOICE, unknown_buyer, OPCO_INVOICE]
    results = render_facturx_pdfs([(invoice_html(i, Marketplace()), i) for i in invoices],
                                  workers=2)

    assert [type(r) for r in results] == [bytes, FacturXError, bytes]
    assert "BR-FR-09" in str(results[1])
    for invoice, pdf in ((COMPANY_INVOICE, results[0]), (OPCO_INVOICE, results[2])):
        assert f"<ram:ID>{invoice.number}</ram:ID>".encode() in attached_xml(pdf)  # type: ignore[arg-type]
    one_by_one = render_facturx_pdfs([(invoice_html(OPCO_INVOICE, Marketplace()), OPCO_INVOICE)])
    assert one_by_one == [results[2]], "the same bytes, in a worker or not"


def test_documents_rendered_by_two_workers_come_back_in_order():
    htmls = [f"<h1>Document {n}</h1>" for n in range(5)]
    pdfs = render_pdfs(htmls, workers=2)
    assert [PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()[0] for pdf in pdfs
            ] == [f"Document {n}" for n in range(5)]
