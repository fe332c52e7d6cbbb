"""A session and its matching PEC, to vary one field at a time in the tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from backoffice.pec_check import PecFacts, SessionFacts

SESSION = SessionFacts(
    session_ref="S-001", client_ref="CL-01", client_siret="73282932000074", client_opco="ATLAS",
    title="Excel avancé", start_date=date(2026, 12, 7), end_date=date(2026, 12, 8),
    hours_per_trainee=Decimal("14"), price_ht=Decimal("2450.00"), funding="opco_subrogation",
    trainees=("Éloïse N'Diaye", "Marc Dupont"),
)
PEC = PecFacts(
    pec_ref="PEC-1", session_ref="S-001", opco="ATLAS", dossier_number="AT-2026-012345",
    client_siret="73282932000074", title="EXCEL AVANCE", start_date=date(2026, 12, 7),
    end_date=date(2026, 12, 8), hours=Decimal("14"), amount_granted_ht=Decimal("2450.00"),
    subrogation=True, trainees=("NDIAYE Eloise", "Marc DUPONT"), received_on=date(2026, 11, 20),
)


def session(**changes) -> SessionFacts:
    return replace(SESSION, **changes)


def pec(**changes) -> PecFacts:
    return replace(PEC, **changes)
