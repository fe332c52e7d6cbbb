"""HTML → PDF, in worker processes when there is more than one: documents, invoices and
self-billed invoices alike.

A night renders hundreds of PDFs at about 70 ms each (and 27 ms more for an invoice's Factur-X:
its XML checked against the XSD and both schematrons); on two cores, two workers halve the
wall time (docs/performance.md). The results come back in the order of the inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from adapters.facturx import FacturXError, embed_facturx
from adapters.pdf import html_to_pdf
from backoffice.invoice_document import InvoiceDocument

_In = TypeVar("_In")
_Out = TypeVar("_Out")

RENDER_BATCH = 200  # PDFs rendered, then recorded, at a time (held in memory meanwhile)


def render_batches(items: Sequence[_In]) -> Iterator[Sequence[_In]]:
    """`items` in order, RENDER_BATCH at a time: render a batch, record it, go on."""
    for start in range(0, len(items), RENDER_BATCH):
        yield items[start:start + RENDER_BATCH]


def render_pdfs(htmls: Sequence[str], workers: int = 1) -> list[bytes]:
    """Each HTML as a PDF."""
    return _in_workers(html_to_pdf, htmls, workers)


def render_facturx_pdfs(invoices: Sequence[tuple[str, InvoiceDocument]], workers: int = 1
                        ) -> list[bytes | FacturXError]:
    """Each invoice's HTML as a PDF/A-3 with its Factur-X XML; or why its XML cannot be made
    (the caller decides: a review item, or a failed step)."""
    return _in_workers(_facturx_pdf, invoices, workers)


def _facturx_pdf(invoice: tuple[str, InvoiceDocument]) -> bytes | FacturXError:
    html, document = invoice
    try:
        return embed_facturx(html_to_pdf(html, pdf_variant="pdf/a-3b"), document)
    except FacturXError as error:
        return error


def _in_workers(function: Callable[[_In], _Out], items: Sequence[_In], workers: int
                ) -> list[_Out]:
    if workers <= 1 or len(items) < 2:
        return [function(item) for item in items]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items, chunksize=max(1, len(items) // (workers * 4))))
