"""Benchmark: rendering training bundles (convention + programme + devis).

Prints seconds per bundle and per page for bare WeasyPrint on the same HTML, for the
pipeline's path (templates → PDF → files with SHA-256 and zip) with 1 and 2 worker
processes, and the projected time for 1,000 bundles. Targets (issue 4): pipeline overhead
≤ 15 % over bare rendering, 2 workers ≥ 1.7× one, 1,000 bundles < 4 minutes on 2 cores.

    .venv/bin/python benchmarks/render_bundles.py [--bundles 100]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pypdf import PdfReader
from weasyprint import CSS, HTML

from adapters.database import ready_engine
from adapters.pdf import TEMPLATES, html_to_pdf
from adapters.reference_data import reference_data
from adapters.settings import Marketplace
from demo.generator import DEMO_AS_OF, write_demo_export
from services.documents import PlannedSet, _jobs, _write_files, plan_due_documents
from services.funding import reconcile_funding
from services.ingest import ingest_export
from services.rendering import render_pdfs


def demo_bundles(folder: Path) -> list[PlannedSet]:
    engine = ready_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
    now = datetime.now(UTC)
    write_demo_export(folder / "export")
    ingest_export(engine, folder / "export", now=now)
    reconcile_funding(engine, as_of=DEMO_AS_OF, now=now, reference=reference_data(),
                      marketplace=Marketplace())
    planned, _ = plan_due_documents(engine, as_of=DEMO_AS_OF, now=now, marketplace=Marketplace())
    return [item for item in planned if item.plan.kind == "bundle"]


def pipeline(bundles: list[PlannedSet], out: Path, workers: int) -> float:
    started = time.perf_counter()
    jobs = [_jobs(item.plan, item.context) for item in bundles]  # Jinja2, as the flow does
    pdfs = iter(render_pdfs([job.html for item in jobs for job in item], workers))
    for number, (item, item_jobs) in enumerate(zip(bundles, jobs, strict=True)):
        files = {job.name: next(pdfs) for job in item_jobs}
        paths = _write_files(out / f"{workers}-{number}", item, files)
        for path in paths.values():
            hashlib.sha256(path.read_bytes()).hexdigest()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundles", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo = demo_bundles(folder)
        bundles = [demo[i % len(demo)] for i in range(args.bundles)]
        htmls = [job.html for item in bundles for job in item.jobs]
        pages = sum(len(PdfReader(io.BytesIO(html_to_pdf(h))).pages)
                    for h in htmls[: 3 * len(demo)]) * len(bundles) / len(demo)

        stylesheet = CSS(filename=str(TEMPLATES / "style.css"))
        started = time.perf_counter()
        for html in htmls:
            HTML(string=html, base_url=str(TEMPLATES) + "/").write_pdf(stylesheets=[stylesheet])
        bare = time.perf_counter() - started
        one = pipeline(bundles, folder / "out", workers=1)
        two = pipeline(bundles, folder / "out", workers=2)

    n = len(bundles)
    print(f"{n} bundles, {len(htmls)} PDFs, about {pages:.0f} pages")
    print(f"bare WeasyPrint, 1 process : {bare:6.2f} s  {bare / n:.3f} s/bundle  "
          f"{bare / pages:.3f} s/page")
    print(f"pipeline, 1 worker         : {one:6.2f} s  {one / n:.3f} s/bundle  "
          f"overhead {100 * (one - bare) / bare:+.1f} %")
    print(f"pipeline, 2 workers        : {two:6.2f} s  {two / n:.3f} s/bundle  "
          f"speed-up {one / two:.2f}×")
    print(f"projected 1,000 bundles with 2 workers: {1000 * two / n:.0f} s")


if __name__ == "__main__":
    main()
