from datetime import date
from decimal import Decimal

from backoffice.funding_estimate import FundingCriterion, estimate_funding
from backoffice.opco import resolve_opco

IDCC = {"1486": "ATLAS", "0016": "OPCO_MOBILITES"}


def test_the_pec_says_last_then_the_export_then_the_idcc():
    assert resolve_opco(confirmed_by_pec="AKTO", export_opco="ATLAS", idcc="1486",
                        idcc_table=IDCC).opco == "AKTO"
    assert resolve_opco(confirmed_by_pec=None, export_opco="ATLAS", idcc="0016",
                        idcc_table=IDCC).source == "export"
    derived = resolve_opco(confirmed_by_pec=None, export_opco=None, idcc="0016", idcc_table=IDCC)
    assert (derived.opco, derived.source) == ("OPCO_MOBILITES", "idcc")


def test_an_unknown_idcc_is_never_guessed():
    unknown = resolve_opco(confirmed_by_pec=None, export_opco=None, idcc="9999", idcc_table=IDCC)
    assert unknown.opco is None and "IDCC 9999" in unknown.detail
    assert resolve_opco(confirmed_by_pec=None, export_opco=None, idcc=None,
                        idcc_table=IDCC).opco is None


def criterion(**changes) -> FundingCriterion:
    values = dict(opco="ATLAS", scope="branche 217", idccs=frozenset({"1486"}), size_min=0,
                  size_max=10, valid_from=date(2024, 1, 1), valid_to=None,
                  hourly_cap_ht=Decimal("55.00"), annual_cap_ht=Decimal("6000.00"),
                  min_hours=None, funded_share=Decimal("1"), source="R26")
    return FundingCriterion(**{**values, **changes})


def estimate(criteria, **changes):
    values = dict(opco="ATLAS", idcc="1486", headcount=9, hours_per_trainee=Decimal("14"),
                  trainees=2, price_ht=Decimal("2800.00"), on=date(2026, 12, 7))
    return estimate_funding(criteria, **{**values, **changes})


def test_the_worked_example_of_the_domain_brief():
    result = estimate([criterion()])
    assert (result.opco_share, result.reste_a_charge) == (Decimal("1540.00"), Decimal("1260.00"))
    assert "plafond 55,00\u00a0€/h × 14 h × 2 stagiaire(s)" in result.basis


def test_the_annual_cap_and_the_share_bound_the_estimate():
    result = estimate([criterion(hourly_cap_ht=None, annual_cap_ht=Decimal("1000.00"))])
    assert result.opco_share == Decimal("1000.00")
    half = estimate([criterion(hourly_cap_ht=None, annual_cap_ht=None,
                               funded_share=Decimal("0.50"))])
    assert (half.opco_share, half.reste_a_charge) == (Decimal("1400.00"), Decimal("1400.00"))


def test_below_the_minimum_duration_nothing_is_funded():
    result = estimate([criterion(min_hours=Decimal("21"))])
    assert result.opco_share == Decimal("0.00") and "minimum de 21 h" in result.basis


def test_the_most_specific_criterion_wins():
    generic = criterion(idccs=frozenset(), hourly_cap_ht=Decimal("20.00"), scope="interpro")
    assert estimate([generic, criterion()]).opco_share == Decimal("1540.00")
    assert estimate([generic, criterion()], idcc="0044").opco_share == Decimal("560.00")


def test_unknown_criteria_give_no_estimate_and_say_so():
    for changes in ({"headcount": 60}, {"on": date(2023, 6, 1)}, {"opco": "AKTO"},
                    {"headcount": None}):
        result = estimate([criterion()], **changes)
        assert result.opco_share is None and "critères de financement inconnus" in result.basis
    assert "OPCO du client inconnu" in estimate([criterion()], opco=None).basis


def test_the_share_applies_after_the_caps():
    # Atlas branch 214, 50-99 employees: 50 % of the costs, within a total of 11 200 € HT
    big = criterion(size_min=50, size_max=99, hourly_cap_ht=None,
                    annual_cap_ht=Decimal("11200.00"), funded_share=Decimal("0.50"))
    result = estimate([big], headcount=60, price_ht=Decimal("14000.00"))
    assert (result.opco_share, result.reste_a_charge) == (Decimal("5600.00"), Decimal("8400.00"))


def test_an_informative_criterion_is_never_applied():
    assert estimate([criterion(auto_apply=False)]).opco_share is None


def test_an_estimate_from_expired_criteria_says_so_and_current_ones_win():
    old = criterion(valid_to=date(2024, 12, 31))
    stale = estimate([old])
    assert stale.opco_share == Decimal("1540.00")  # 55 €/h × 14 h × 2
    assert stale.basis.startswith("critères expirés le 31 décembre 2024, les derniers connus : "
                                  "estimation à revérifier ; ATLAS, branche 217")
    current = criterion(valid_from=date(2026, 1, 1), hourly_cap_ht=Decimal("40.00"))
    assert estimate([old, current]).opco_share == Decimal("1120.00")
    assert "expirés" not in estimate([old, current]).basis
    assert estimate([criterion(valid_to=date(2024, 12, 31), size_max=5)]).opco_share is None


def test_criteria_expiring_within_60_days_are_listed_soonest_first():
    from backoffice.funding_estimate import expiring

    late = criterion(scope="b", valid_to=date(2027, 2, 4))  # 60 days after 6 December
    soon = criterion(scope="a", valid_to=date(2026, 12, 31))
    gone, later = criterion(valid_to=date(2026, 12, 5)), criterion(valid_to=date(2027, 2, 5))
    assert expiring([late, gone, soon, later, criterion()], date(2026, 12, 6)) == [soon, late]
