"""Every e-mail template rendered with a realistic context and compared, subject and body, to
its expected text in tests/adapters/expected_emails/ (one file per case, `Objet : …`, a blank
line, then the body, as the recipient reads it). A line glued to the next one, a blank line
lost or doubled, a value badly formatted: the comparison fails.

After a deliberate change of a template, `UPDATE_SNAPSHOTS=1 pytest tests/adapters/
test_email_templates.py` rewrites the expected texts (as for the HTML snapshots of
tests/services/snapshots); read each one as its recipient would before committing.

The contexts are those the callers give (services/documents.py, funding.py, invoicing.py,
payouts.py, alerts.py), with values like the demo's.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from adapters.email_templates import render_email
from adapters.mailer import ReservedDomainRefused
from adapters.settings import Marketplace
from adapters.templating import TEMPLATES
from backoffice.incidents import Incident, email_failed, file_rejected
from backoffice.masking import mask_text

EXPECTED = Path(__file__).with_name("expected_emails")

MARKETPLACE = Marketplace()
SESSION = SimpleNamespace(  # services/funding.py: SessionFacts; documents.py: its facts' view
    session_ref="S-2026-0012",
    title="Excel avancé : tableaux croisés dynamiques et automatisation",
    start_date=date(2026, 12, 14), end_date=date(2026, 12, 15),
    hours_per_trainee=Decimal("14.00"), price_ht=Decimal("2400.00"), funding="opco_subrogation",
    location="12 rue de la Paix, 75002 Paris",
    trainees=[SimpleNamespace(full_name="Léa Martin"), SimpleNamespace(full_name="Hugo Petit")])
COMPANY_SESSION = SimpleNamespace(**{**vars(SESSION), "funding": "company"})
REIMBURSED_SESSION = SimpleNamespace(**{**vars(SESSION), "funding": "opco_reimbursement"})
CLIENT = SimpleNamespace(name="Boulangeries Durand SARL", contact_name="Sophie Durand",
                         contact_email="sophie.durand@durand.example")
TRAINER = SimpleNamespace(first_name="Karim", email="karim.benali@formateurs.example")
PEC = SimpleNamespace(opco="ATLAS", dossier_number="ATL-2026-004512")
INVOICE = SimpleNamespace(  # backoffice/invoice_document.py: InvoiceDocument
    number="FA-2026-000012", preceding_number=None, note=None, session_ref="S-2026-0012",
    dossier_number="ATL-2026-004512", issue_date=date(2026, 12, 16), due_date=date(2027, 1, 15),
    service_start=date(2026, 12, 14), service_end=date(2026, 12, 15),
    total_ttc=Decimal("1680.00"), payment_iban="FR7630006000011234567890189")
COMPANY_INVOICE = SimpleNamespace(**{**vars(INVOICE), "number": "FA-2026-000013",
                                     "dossier_number": None, "total_ttc": Decimal("720.00")})
CREDIT_NOTE = SimpleNamespace(**{**vars(INVOICE), "number": "AV-2026-000002",
                                 "preceding_number": "FA-2026-000012",
                                 "issue_date": date(2026, 12, 20),
                                 "note": "erreur sur le nombre de stagiaires"})
PAYOUT = SimpleNamespace(  # adapters/models.py: Payout
    id="PO-2026-000007", session_ref="S-2026-0012", amount_ht=Decimal("700.00"),
    vat=Decimal("140.00"), amount=Decimal("840.00"), executed_on=date(2026, 12, 7),
    trainer_invoice="KB-2026-031", self_billed=False,
    remittance="Honoraires session S-2026-0012 facture KB-2026-031")
SELF_BILLED_PAYOUT = SimpleNamespace(**{
    **vars(PAYOUT), "vat": Decimal("0.00"), "amount": Decimal("700.00"),
    "trainer_invoice": "AF-TR-004-2026-0001", "self_billed": True,
    "remittance": "Honoraires session S-2026-0012 facture AF-TR-004-2026-0001"})
SELF_BILLED_INVOICE = SimpleNamespace(number="AF-TR-004-2026-0001", session_ref="S-2026-0012",
                                      issue_date=date(2026, 12, 4), amount_ttc=Decimal("700.00"))
RUN_NAME = "Traitement de nuit du 7 décembre 2026"


def masked(incident: Incident) -> Incident:
    """As services/alerts.py gives it to the template."""
    return replace(incident, title=mask_text(incident.title), detail=mask_text(incident.detail),
                   action=mask_text(incident.action))


REJECTED = file_rejected("export", "sessions.csv", [
    "ligne 4, colonne start_date : date invalide « 31/11/2026 »",
    "ligne 9, colonne client_ref : client CL-099 inconnu (contact m.roux@roux-associes.fr)"],
    "corriger le fichier et le redéposer dans la boîte de dépôt")
REFUSED = ReservedDomainRefused("email:invoice:FA-2026-000012",
                                {"facturation@atlas.example": ".example"})
EMAIL_FAILED = email_failed("email:invoice:FA-2026-000012",
                            f"{type(REFUSED).__name__}: {REFUSED}")

DOCUMENTS = {"session": SESSION, "client": CLIENT, "version": 1, "explanation": "",
             "marketplace": MARKETPLACE, "modality_label": "en présentiel",
             "schedule": ["14 décembre 2026 : 09:00-12:30 et 13:30-17:00",
                          "15 décembre 2026 : 09:00-12:30 et 13:30-17:00"],
             "without_hours": []}
DOCUMENTS_V2 = {**DOCUMENTS, "version": 2, "explanation": "dates de la session modifiées"}
LEA, HUGO = (SimpleNamespace(full_name="Léa Martin", email="lea.martin@durand.example"),
             SimpleNamespace(full_name="Hugo Petit", email=None))
# services/documents.py: one per trainee, to them, or to the client contact to hand over
CONVOCATION = {**DOCUMENTS, "session": SimpleNamespace(**{**vars(SESSION), "modality": "presentiel"}),
               "trainee": LEA, "handed_over": False, "with_programme": True}
FUNDING = {"session": SESSION, "trainer": TRAINER, "client": CLIENT, "marketplace": MARKETPLACE}

# case name (the expected file's) → (template, context)
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "attendance_sheets_trainer": ("attendance_sheets_trainer", DOCUMENTS),
    "attendance_sheets_trainer--v2": ("attendance_sheets_trainer", DOCUMENTS_V2),
    "certificates_client": ("certificates_client", DOCUMENTS),
    "certificates_client--reimbursement-v2": (
        "certificates_client", {**DOCUMENTS_V2, "session": REIMBURSED_SESSION}),
    "certificates_client--one-absent": (
        "certificates_client", {**DOCUMENTS, "without_hours": ["Hugo Petit"]}),
    "company_billing_client": ("company_billing_client", FUNDING),
    "company_billing_trainer": ("company_billing_trainer", FUNDING),
    "convocation_trainee": ("convocation_trainee", {
        **CONVOCATION, "session": SimpleNamespace(**{**vars(SESSION), "modality": "distanciel"})}),
    "convocation_trainee--handed-over": ("convocation_trainee", {
        **CONVOCATION, "handed_over": True, "trainee": HUGO}),
    "convocation_trainee--mixed-v2-without-programme": ("convocation_trainee", {
        **CONVOCATION, **DOCUMENTS_V2, "with_programme": False,
        "session": SimpleNamespace(**{**vars(SESSION), "modality": "mixte"})}),
    "credit_note": ("credit_note", {"invoice": CREDIT_NOTE, "partial": False, "to_opco": True,
                                    "marketplace": MARKETPLACE}),
    "credit_note--partial": ("credit_note", {
        "invoice": SimpleNamespace(**{**vars(CREDIT_NOTE), "total_ttc": Decimal("420.00")}),
        "partial": True, "to_opco": True, "marketplace": MARKETPLACE}),
    "documents_bundle_client": ("documents_bundle_client", DOCUMENTS),
    "documents_bundle_client--company-v2": (
        "documents_bundle_client", {**DOCUMENTS_V2, "session": COMPANY_SESSION}),
    "documents_bundle_trainer": ("documents_bundle_trainer", DOCUMENTS),
    "documents_bundle_trainer--company-v2": (
        "documents_bundle_trainer", {**DOCUMENTS_V2, "session": COMPANY_SESSION}),
    "green_light_trainer": ("green_light_trainer", {**FUNDING, "pec": PEC}),
    "invoice--opco": ("invoice", {"invoice": INVOICE, "to_opco": True, "partial": False,
                                  "marketplace": MARKETPLACE}),
    "invoice--company": ("invoice", {"invoice": COMPANY_INVOICE, "to_opco": False,
                                     "partial": False, "marketplace": MARKETPLACE}),
    "invoice_reminder": ("invoice_reminder", {"invoice": INVOICE, "days": 7,
                                              "residual": Decimal("1680.00"),
                                              "marketplace": MARKETPLACE}),
    "invoice_reminder--company": ("invoice_reminder", {"invoice": COMPANY_INVOICE, "days": 30,
                                                       "residual": Decimal("360.00"),
                                                       "marketplace": MARKETPLACE}),
    "operator_alert": ("operator_alert", {
        "incident": masked(REJECTED), "run_name": RUN_NAME, "marketplace": MARKETPLACE,
        "run_url": "http://127.0.0.1:4200/runs/flow-run/0193a1b2-7c4d-7e6f-8a9b-0c1d2e3f4a5b"}),
    "operator_alert--email-refused-local-run": ("operator_alert", {
        "incident": masked(EMAIL_FAILED), "run_name": RUN_NAME, "run_url": "",
        "marketplace": MARKETPLACE}),
    "payout_executed": ("payout_executed", {"payout": PAYOUT, "trainer": TRAINER,
                                            "marketplace": MARKETPLACE}),
    "payout_executed--self-billed": ("payout_executed", {
        "payout": SELF_BILLED_PAYOUT, "trainer": TRAINER, "marketplace": MARKETPLACE}),
    "pec_reminder_client": ("pec_reminder_client", {**FUNDING, "days_before": 7}),
    "pec_reminder_trainer": ("pec_reminder_trainer", {**FUNDING, "days_before": 2}),
    "self_billed_invoice": ("self_billed_invoice", {"invoice": SELF_BILLED_INVOICE,
                                                    "trainer": TRAINER,
                                                    "marketplace": MARKETPLACE}),
}


def rendered(case: str) -> str:
    template, context = CASES[case]
    email = render_email(template, **context)
    return f"Objet : {email.subject}\n\n{email.text}"


def check_expected(case: str, text: str) -> None:
    path = EXPECTED / f"{case}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"{path.name} missing: UPDATE_SNAPSHOTS=1 writes it, then review it"
    assert text == path.read_bytes().decode("utf-8"), (
        f"{case}: the e-mail differs from {path.relative_to(EXPECTED.parent)}")


@pytest.mark.parametrize("case", CASES)
def test_each_email_reads_exactly_as_expected(case):
    check_expected(case, rendered(case))


@pytest.mark.parametrize("case", CASES)
def test_each_email_is_laid_out_cleanly(case):
    """What any e-mail must be, whatever its words: checked apart from the expected texts so
    that a rewritten expected text cannot bless a glued or a doubled line."""
    text = rendered(case)
    subject, _, body = text.partition("\n\n")
    assert "\n" not in subject and "  " not in subject and not subject.endswith(" ")
    assert body.startswith("Bonjour") and body.endswith("\n") and not body.endswith("\n\n")
    assert "\n\n\n" not in body, "a doubled blank line"
    lines = body.split("\n")
    assert [line for line in lines if line != line.rstrip()] == [], "trailing spaces"
    assert [line for line in lines if line.startswith(" ") and not line.startswith("  - ")] == []
    assert re.findall(r"\S- [A-ZÉÀ]", body) == [], "a list item glued to the line before it"
    assert "None" not in text and "{{" not in text and "{%" not in text
    # a list item alone on its line, and every list of the body set off by blank lines
    for number, line in enumerate(lines):
        if line.startswith("- ") and not lines[number - 1].startswith("- "):
            assert lines[number - 1] == "", f"a list not preceded by a blank line: {line!r}"


def test_every_template_has_a_case_and_every_expected_text_a_case():
    templates = {path.name.removesuffix(".txt.j2")
                 for path in (TEMPLATES / "emails").glob("*.txt.j2")
                 if not path.name.startswith("_")}
    assert {template for template, _ in CASES.values()} == templates
    assert {path.stem for path in EXPECTED.glob("*.txt")} == set(CASES)


def test_the_payout_email_lists_one_fact_per_line():
    """The bug of issue #16: `{% endif %}` at the end of a line ate its line break
    ("… de TVA)- Date : 7 décembre 2026")."""
    for case in ("payout_executed", "payout_executed--self-billed"):
        facts = [line for line in rendered(case).split("\n") if line.startswith("- ")]
        assert [fact.split(" : ")[0] for fact in facts] == [
            "- Montant", "- Date", "- Facture", "- Référence du virement"]
