"""One case per rule: the outcome and the reason."""

from datetime import date
from decimal import Decimal

import pytest

from backoffice.pec_check import check_pec, reste_a_charge
from tests.core.pec_samples import PEC, SESSION, pec, session


def test_a_matching_pec_has_no_problem():
    assert check_pec(PEC, SESSION) == []


CASES = {
    # case: (pec changes, session changes, rule, words of the message)
    "another OPCO": ({"opco": "OPCO_2I"}, {}, "opco", "OPCO de la PEC (OPCO_2I) différent"),
    "another SIRET": ({"client_siret": "35600000049837"}, {}, "siret", "SIRET de la PEC"),
    "starts after the session": ({"start_date": date(2026, 12, 8)}, {}, "dates", "ne couvre pas"),
    "ends before the session": ({"end_date": date(2026, 12, 7)}, {}, "dates", "ne couvre pas"),
    "fewer hours": ({"hours": Decimal("10.50")}, {}, "hours", "(10,5 h) inférieures"),
    "a trainee missing": ({"trainees": ("Marc Dupont",)}, {}, "trainees",
                          "stagiaires absents de la PEC : Éloïse N'Diaye"),
    "an unknown trainee": ({"trainees": ("Eloise Ndiaye", "Marc Dupont", "Paul Girard")}, {},
                           "trainees", "inconnus de la session : Paul Girard"),
    "no trainee named": ({"trainees": ()}, {}, "trainees", "ne nomme pas les stagiaires"),
    "another title": ({"title": "Management d'équipe"}, {}, "title", "trop éloigné"),
    "more than the price": ({"amount_granted_ht": Decimal("2500.00")}, {}, "amount",
                            "supérieur au prix"),
    "subrogation refused": ({"subrogation": False}, {}, "subrogation", "PEC sans subrogation"),
    "subrogation not asked": ({}, {"funding": "opco_reimbursement"}, "subrogation",
                              "PEC avec subrogation"),
    "a company-funded session": ({}, {"funding": "company"}, "funding", "aucune PEC n'est attendue"),
    "received after the start": ({"received_on": date(2026, 12, 8)}, {}, "late",
                                 "l'OPCO peut refuser"),
    "a cancelled session": ({}, {"cancelled": True}, "session", "annulée"),
    "a draft session": ({}, {"validated": False}, "session", "pas encore validée"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_rule_names_its_problem(case):
    pec_changes, session_changes, rule, words = CASES[case]
    problems = check_pec(pec(**pec_changes), session(**session_changes))
    assert [p.rule for p in problems] == [rule]
    assert words in problems[0].message


def test_what_is_not_a_problem():
    # a grant below the price: the company pays the rest; a wider period; more hours;
    # names written otherwise; the client's OPCO unknown; received on the first day
    easy = pec(amount_granted_ht=Decimal("1540.00"), start_date=date(2026, 12, 1),
               hours=Decimal("21"), trainees=("DUPONT Marc", "Eloise N DIAYE"),
               received_on=date(2026, 12, 7), title=None)
    assert check_pec(easy, session(client_opco=None)) == []


def test_every_problem_is_listed():
    problems = check_pec(pec(hours=Decimal("7"), subrogation=False), SESSION)
    assert [p.rule for p in problems] == ["hours", "subrogation"]


def test_the_reste_a_charge_is_the_price_minus_the_grant():
    assert reste_a_charge(pec(amount_granted_ht=Decimal("1540.00")), SESSION) == Decimal("910.00")
    assert reste_a_charge(PEC, SESSION) == Decimal("0.00")
    assert reste_a_charge(pec(amount_granted_ht=Decimal("9999.00")), SESSION) == Decimal("0.00")
