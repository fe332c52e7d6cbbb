"""Layout that holds (issue #17 §5): every document type rendered with long values — long titles
and names, amounts in the hundreds of thousands, 30 trainees, an address over three lines, each
modality — and read back from WeasyPrint's layout boxes: no text may leave its cell (or the block
it is written in) nor the page. The devis' "Prix unitaire HT" overprinting "Total HT" and its bold
totals spilling over the table's border were such overflows.

One database (SQLite) is enough: the layout depends on the values, not on where they are stored.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from adapters.pdf import TEMPLATES, _stylesheet, render_html
from adapters.reference_data import reference_data
from adapters.settings import Marketplace
from backoffice.document_kinds import DOCUMENTS
from services.documents import plan_due_documents
from services.funding import reconcile_funding
from services.ingest import ingest_export
from services.invoicing import EXEMPTION_TEXT
from tests.conftest import clear_tables, database_engine
from tests.export_samples import SMALL_EXPORT, write_export
from tests.invoicing import kinds as invoice_kinds

AS_OF = date(2026, 11, 2)  # before the start: every set is made, none is late
NOW = datetime(2026, 11, 2, 3, 30, tzinfo=UTC)
TOLERANCE = 0.5  # CSS px: rounding of glyph advances
MARKETPLACE = Marketplace(
    name="Ganapati Formation et Accompagnement des Compétences Professionnelles SAS",
    address="Bâtiment C, escalier 4, 3e étage, Parc d'activités des Grands Champs, "
            "1234 avenue du Maréchal de Lattre de Tassigny",
    handicap_referent="Marie-Christine de La Rochefoucauld-Montbazon, "
                      "referente.handicap@ganapati-formation-professionnelle.example, "
                      "01 23 45 67 89")

TITLE = ("Management transversal et conduite du changement dans les organisations matricielles "
         "internationales : posture, communication interculturelle et pilotage de projets")
ADDRESS = ("Bâtiment C, escalier 4, 3e étage\nZone d'activités des Grands Champs Nord\n"
           "1234 avenue du Maréchal de Lattre de Tassigny")
CLIENT = ("CL-01,Société Industrielle de Mécanique de Précision et d'Outillage Aéronautique SAS,"
          f'35600000049837,"{ADDRESS}",75001,Saint-Rémy-lès-Chevreuse-sur-Yvette,1486,420,'
          "Marie-Christine de La Rochefoucauld-Montbazon,rh@durand.example,ATLAS\n")
LONG_LAST = ("Abdelkader-Villeneuve de Saint-Exupéry", "Bernardin-Delacroix")
SESSIONS = {"presentiel": "S-001", "distanciel": "S-101", "mixte": "S-102"}


def _export() -> dict[str, str]:
    csv = dict(SMALL_EXPORT)
    csv["trainers.csv"] = SMALL_EXPORT["trainers.csv"].replace(
        "TR-01,Élodie,Marchand", "TR-01,Marie-Élisabeth,Vanderhaegen-Delacroix de Montmorency")
    csv["clients.csv"] = SMALL_EXPORT["clients.csv"].splitlines(keepends=True)[0] + CLIENT
    csv["programmes.csv"] = SMALL_EXPORT["programmes.csv"].replace(
        "PR-EXCEL,Excel avancé,", f'PR-EXCEL,"{TITLE}",')
    header = SMALL_EXPORT["sessions.csv"].splitlines(keepends=True)[0]
    location = f'"{ADDRESS.replace(chr(10), ", ")}, 75001 Saint-Rémy-lès-Chevreuse-sur-Yvette"'
    rows = {"presentiel": location, "mixte": location,
            "distanciel": "https://visio.formations.example/classe-virtuelle/"
                          "management-transversal-2026-12-07-groupe-internationale-0001"}
    csv["sessions.csv"] = header + "".join(
        f"{ref},PR-EXCEL,TR-01,CL-01,2026-12-07,2026-12-08,14,{modality},{rows[modality]},"
        "987654.32,456789.10,opco_subrogation,2026-11-02T10:12:00+01:00,\n"
        for modality, ref in SESSIONS.items())
    csv["slots.csv"] = "session_ref,date,start,end\n" + "".join(
        f"{ref},2026-12-0{day},{start},{end}\n" for ref in SESSIONS.values() for day in (7, 8)
        for start, end in (("09:00", "12:30"), ("13:30", "17:00")))
    trainees, attendance, names = [], [], {}
    for ref in SESSIONS.values():
        for n in range(30):
            last = LONG_LAST[n % 2] if n < 2 else f"Nom{n:02d}-Delacroix-Montmorency"
            first = "Marie-Charlotte-Alexandrine" if n < 2 else f"Prénom{n:02d}"
            job = ("Responsable administrative et financière des achats internationaux"
                   if n < 2 else "Technicien")
            email = f"t{n}@durand.example" if n % 3 else ""
            trainees.append(f"{ref},T-{n:02d},{first},{last},{email},{job}\n")
            names.setdefault(ref, []).append(f"{first} {last}")
            for day in (7, 8):
                for half, start, end in (("am", "09:01", "12:31"), ("pm", "13:32", "17:01")):
                    at = f"2026-12-0{day}T{start}:00+01:00"
                    until = f"2026-12-0{day}T{end}:00+01:00"
                    attendance.append(
                        f"{ref},T-{n:02d},2026-12-0{day},{half},absent,,,,,,\n" if n == 29 else
                        f"{ref},T-{n:02d},2026-12-0{day},{half},present,,{at},{until},"
                        f"electronic,{at},{until}\n")
    csv["trainees.csv"] = SMALL_EXPORT["trainees.csv"].splitlines(keepends=True)[0] + \
        "".join(trainees)
    csv["attendance.csv"] = ("session_ref,trainee_ref,date,half_day,status,minutes,"
                             "trainee_signed_at,trainer_signed_at,signature_method,login_at,"
                             "logout_at\n") + "".join(attendance)
    csv["completions.csv"] = "session_ref,declared_at\n" + "".join(
        f"{ref},2026-12-08T18:00:00+01:00\n" for ref in SESSIONS.values())
    csv["pecs.csv"] = SMALL_EXPORT["pecs.csv"].splitlines(keepends=True)[0] + "".join(
        f"PEC-{ref},{ref},ATLAS,AT-2026-01234{i},35600000049837,,2026-12-07,2026-12-08,14,"
        f'876543.21,yes,"{";".join(names[ref])}",2026-11-01T14:00:00+01:00,\n'
        for i, ref in enumerate(SESSIONS.values()))
    csv["trainer_invoices.csv"] = SMALL_EXPORT["trainer_invoices.csv"].splitlines(
        keepends=True)[0]
    return csv


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, str]:
    """name → HTML of every document of the three sessions (each per-trainee document for the
    trainees with the longest names), as the pipeline makes them."""
    engine = database_engine("sqlite")
    clear_tables(engine)
    folder = tmp_path_factory.mktemp("layout")
    report = ingest_export(engine, write_export(folder / "export", _export()), now=NOW)
    assert report.rejected == [], [str(e) for e in report.errors]
    reconcile_funding(engine, as_of=AS_OF, now=NOW, reference=reference_data(),
                      marketplace=MARKETPLACE)
    planned, blocked = plan_due_documents(engine, as_of=AS_OF, now=NOW, marketplace=MARKETPLACE)
    clear_tables(engine)
    assert blocked == []
    htmls = {f"{item.plan.session_ref} {job.name}": job.html for item in planned
             for job in item.jobs if not job.name.split("-")[-1].isdigit()
             or job.name.endswith(("-00", "-01"))}
    return htmls


def overflows(html: str) -> list[str]:
    """Each text box that leaves the content box of the block it is written in (a table cell,
    a paragraph…) or the page, with its page and text."""
    stylesheet, fonts = _stylesheet()
    rendered = HTML(string=html, base_url=str(TEMPLATES) + "/").render(
        stylesheets=[stylesheet], font_config=fonts)
    found: list[str] = []

    def walk(box: boxes.Box, block: boxes.Box | None, number: int, page: boxes.Box) -> None:
        if isinstance(box, boxes.BlockContainerBox) and not isinstance(box, boxes.InlineBox):
            block = box
        if isinstance(box, boxes.TextBox) and box.text.strip():
            left, right = box.position_x, box.position_x + box.width
            top, bottom = box.position_y, box.position_y + box.height
            if block is not None:
                inner_left = block.content_box_x()
                inner_right = inner_left + block.width
                if left < inner_left - TOLERANCE or right > inner_right + TOLERANCE:
                    found.append(f"page {number}: « {box.text} » sort de son cadre "
                                 f"({left:.1f}–{right:.1f} hors de "
                                 f"{inner_left:.1f}–{inner_right:.1f})")
            if left < 0 or right > page.margin_width() or top < 0 or \
                    bottom > page.margin_height():
                found.append(f"page {number}: « {box.text} » sort de la page")
        for child in box.all_children() if isinstance(box, boxes.ParentBox) else ():
            walk(child, block, number, page)

    for number, page in enumerate(rendered.pages, 1):
        walk(page._page_box, None, number, page._page_box)
    return found


def test_the_documents_cover_every_document_type_and_modality(documents):
    names = {name.split(" ")[1] for name in documents}
    made = {next(d.name for d in DOCUMENTS if d.owns(name)) for name in names}
    assert made == {d.name for d in DOCUMENTS}
    assert {name.split(" ")[0] for name in documents} == set(SESSIONS.values())


@pytest.mark.parametrize("modality", list(SESSIONS))
def test_no_text_leaves_its_cell_or_the_page(documents, modality):
    ref = SESSIONS[modality]
    problems = {name: found for name, html in sorted(documents.items())
                if name.startswith(f"{ref} ") and (found := overflows(html))}
    assert problems == {}


def test_a_distance_convocation_speaks_of_a_distance_session(documents):
    text = documents["S-101 convocation-T-00"]
    assert "sur le lieu de formation" not in text and "affiché" not in text
    assert "à chaque séance à distance" in text and "heures de connexion" in text
    assert "sur le lieu de formation" in documents["S-001 convocation-T-00"]


def _long_invoice(document):
    buyer = dataclasses.replace(
        document.buyer, name="Société Industrielle de Mécanique de Précision et d'Outillage "
                             "Aéronautique SAS", address=ADDRESS)
    lines = tuple(dataclasses.replace(
        line, description=f"{TITLE} — session S-2026-0012 (14 h × 30 stagiaires)",
        quantity=Decimal("420"), unit_price=Decimal("2351.5579"),
        amount=Decimal("987654.32")) for line in document.lines)
    return dataclasses.replace(
        document, buyer=buyer, lines=lines, total_ht=Decimal("987654.32") * len(lines),
        total_vat=Decimal("197530.86"), total_ttc=Decimal("987654.32") * len(lines),
        trainees=tuple(f"Marie-Charlotte-Alexandrine Nom{n:02d}-Delacroix-Montmorency"
                       for n in range(30)))


@pytest.mark.parametrize("kind", sorted(invoice_kinds.KINDS))
def test_no_text_of_an_invoice_leaves_its_cell_or_the_page(kind):
    document = _long_invoice(invoice_kinds.KINDS[kind])
    if document.kind == "self_billed":
        html = render_html("self_billed_invoice", {
            "invoice": document, "marketplace": MARKETPLACE,
            "payout": SimpleNamespace(id="PO-2026-000007")})
    else:
        html = render_html("invoice", {"invoice": document, "marketplace": MARKETPLACE,
                                       "exemption": EXEMPTION_TEXT, "partial": False})
    assert overflows(html) == []
