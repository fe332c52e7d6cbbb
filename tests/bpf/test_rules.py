"""The BPF's pure rules: which line of the Cerfa each fact goes to, and the hours of a year."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest

from backoffice import bpf
from backoffice.documents import Presence, SessionDocumentFacts, SlotFacts, TraineeFacts


def test_products_go_to_the_line_of_whom_the_invoice_is_addressed_to():
    assert bpf.product_line("company") == "1"  # des entreprises pour la formation de leurs salariés
    assert bpf.product_line("opco") == "2 h"  # plan de développement des compétences
    with pytest.raises(bpf.UnknownFunder, match="ligne du cadre C inconnue"):
        bpf.product_line("region")  # never guessed


def test_the_form_s_lines_carry_its_letters_and_labels():
    codes = [line.code for line in bpf.C_LINES]
    assert codes[:10] == ["1", "2 a", "2 b", "2 c", "2 d", "2 e", "2 f", "2 g", "2 h", "2"]
    assert codes[10:] == ["3", "4", "5", "6", "7", "8", "9", "10", "11", "Total", "%"]
    assert [line.code for line in bpf.F1_LINES.values()] == ["a", "b", "c", "d", "e"]
    assert bpf.F1_LINES["salarie"].label == "Salariés d'employeurs privés hors apprentis"
    assert [line.code for line in bpf.F3_LINES.values()] == [
        "a 6-8", "a 5", "a 4", "a 3", "a 2", "a CQP", "b", "c", "d", "e", "f"]
    assert bpf.D_LINES[2].label == ("dont Achats de prestation de formation et honoraires de "
                                    "formation")
    assert bpf.E_LINES[1].label.startswith("Personnes extérieures à votre organisme")


@pytest.mark.parametrize("code", ["326", "314r", "100", "499z"])
def test_an_nsf_code_is_three_digits_and_maybe_a_letter(code):
    assert bpf.nsf_problem(code) is None


@pytest.mark.parametrize("code", ["32", "3266", "326R", "526", "026", "326-r", "informatique"])
def test_anything_else_is_not_an_nsf_code(code):
    assert "code NSF invalide" in bpf.nsf_problem(code)


def facts(slots, presences, trainees=("T-1", "T-2")) -> SessionDocumentFacts:
    return SessionDocumentFacts(
        session_ref="S-1", title="t", objectives=("o",), content=("c",), prerequisites="",
        audience="", methods="", evaluation="", accessibility="", hours_per_trainee=Decimal(14),
        start_date=slots[0][0], end_date=slots[-1][0], modality="presentiel", location=None,
        price_ht=Decimal(1000), funding="company",
        trainees=tuple(TraineeFacts(ref, "A", ref) for ref in trainees),
        slots=tuple(SlotFacts(day, time(*start), time(*end)) for day, start, end in slots),
        trainer_name="F", client_name="C", client_siret="", client_address="", opco=None,
        validated=True, cancelled=False, funding_status="company",
        presences=tuple(Presence(ref, day, half, True, minutes)
                        for ref, day, half, minutes in presences))


ACROSS_YEARS = [(date(2026, 12, 30), (9, 0), (12, 30)), (date(2026, 12, 30), (13, 30), (17, 0)),
                (date(2027, 1, 4), (9, 0), (12, 30))]


def test_a_session_across_two_years_counts_each_half_day_in_its_year():
    session = facts(ACROSS_YEARS, [("T-1", date(2026, 12, 30), "am", None),
                                   ("T-1", date(2026, 12, 30), "pm", 90),
                                   ("T-1", date(2027, 1, 4), "am", None),
                                   ("T-2", date(2027, 1, 4), "am", None)])

    assert bpf.hours_in_year(session, 2026) == {"T-1": Decimal("5.00"), "T-2": Decimal("0.00")}
    assert bpf.hours_in_year(session, 2027) == {"T-1": Decimal("3.50"), "T-2": Decimal("3.50")}
    # the trainer delivered the whole slots of the year
    assert bpf.delivered_hours(session, 2026) == Decimal("7.00")
    assert bpf.delivered_hours(session, 2027) == Decimal("3.50")


def test_a_session_within_the_year_counts_its_certificates_hours_and_none_without_presence():
    from backoffice.documents import attended_hours

    within = facts(ACROSS_YEARS[:2], [("T-1", date(2026, 12, 30), "am", None)])
    assert bpf.hours_in_year(within, 2026) == attended_hours(within)
    nobody = facts(ACROSS_YEARS[:2], [])
    assert bpf.delivered_hours(nobody, 2026) == Decimal("0.00")  # did not take place


def test_what_is_missing_is_said_never_guessed():
    assert bpf.missing_data("S-1", "PRG", objective="rs", nsf_code="326",
                            trainees_without_status=[]) is None
    missing = bpf.missing_data("S-1", "PRG", objective=None, nsf_code=None,
                               trainees_without_status=["T-2", "T-1"])
    assert missing.text == ("statut BPF (bpf_status) de 2 stagiaire(s) : T-1, T-2 ; objectif du "
                            "programme PRG (objective) ; code NSF du programme PRG (nsf_code)")
