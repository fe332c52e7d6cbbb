"""Who pays what: one case per rule, amounts to the cent, parts adding up to the price."""

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.invoice_document import InvoiceParty
from backoffice.invoicing import (
    BuyerFacts,
    Grant,
    InvoicingRefused,
    SessionBilling,
    SplitLine,
    billable,
    business_days_between,
    due_date,
    invoice_buyer,
    invoice_number,
    missing_identity,
    remainder_to_company,
    reminder_due,
    split_session,
)

D = Decimal


def billing(**changes) -> SessionBilling:
    values = dict(session_ref="S-1", title="Excel avancé", price_ht=D("2800.00"),
                  hours_per_trainee=D("14"), trainees=2, funding="opco_subrogation",
                  funding_status="funded", attended={"A": D("14"), "B": D("14")})
    return SessionBilling(**{**values, **changes})


GRANT = Grant("ATLAS", "AT-1", D("1540.00"), D("14"), subrogation=True)


def totals(parts) -> dict[str, Decimal]:
    return {part.key: part.total for part in parts}


CASES = {
    # case: (session changes, grant, options, expected totals per invoice)
    "full grant, all hours": ({}, Grant("ATLAS", "AT-1", D("2800.00"), D("14"), True), {},
                              {"opco": D("2800.00")}),
    "partial grant": ({}, GRANT, {}, {"opco": D("1540.00"), "company": D("1260.00")}),
    # the worked example of the domain brief: B missed half a day (10.5 h of 14)
    "absences on the company invoice": ({"attended": {"A": D("14"), "B": D("10.5")}}, GRANT, {},
                                        {"opco": D("1347.50"), "company": D("1452.50")}),
    "absences on their own invoice": ({"attended": {"A": D("14"), "B": D("10.5")}}, GRANT,
                                      {"absences_apart": True},
                                      {"opco": D("1347.50"), "company": D("1260.00"),
                                       "absences": D("192.50")}),
    "full grant, all hours, absences apart: no invoice of zero": (
        {}, Grant("ATLAS", "AT-1", D("2800.00"), D("14"), True), {"absences_apart": True},
        {"opco": D("2800.00")}),
    "a grant 50 cents under the price, absences apart: the company pays the 50 cents": (
        {}, Grant("ATLAS", "AT-1", D("2799.50"), D("14"), True), {"absences_apart": True},
        {"opco": D("2799.50"), "company": D("0.50")}),
    "no subrogation": ({"funding": "opco_reimbursement"},
                       Grant("ATLAS", "AT-1", D("1540.00"), D("14"), False), {},
                       {"company": D("2800.00")}),
    "company funding": ({"funding": "company", "funding_status": "company"}, None, {},
                        {"company": D("2800.00")}),
    "no validated PEC on day 1": ({"funding_status": "company_billing"}, GRANT, {},
                                  {"company": D("2800.00")}),
    "grant above the price": ({}, Grant("ATLAS", "AT-1", D("3000.00"), D("14"), True), {},
                              {"opco": D("2800.00")}),
    "more hours attended than granted": ({"attended": {"A": D("21"), "B": D("21")}}, GRANT, {},
                                         {"opco": D("1540.00"), "company": D("1260.00")}),
    "nobody came": ({"attended": {"A": D("0"), "B": D("0")}}, GRANT, {},
                    {"company": D("2800.00")}),
    "cancelled late, with a fee": ({"cancelled_on": date(2026, 12, 1),
                                    "start_date": date(2026, 12, 7)}, GRANT,
                                   {"cancellation_fee_rate": D("0.30")},
                                   {"cancellation": D("840.00")}),
    # the fee applies under 10 working days: Monday 23 November to Monday 7 December is 10
    "cancelled exactly 10 working days before: no fee": (
        {"cancelled_on": date(2026, 11, 23), "start_date": date(2026, 12, 7)}, GRANT,
        {"cancellation_fee_rate": D("0.30")}, {}),
    "cancelled 9 working days before: the fee": (
        {"cancelled_on": date(2026, 11, 24), "start_date": date(2026, 12, 7)}, GRANT,
        {"cancellation_fee_rate": D("0.30")}, {"cancellation": D("840.00")}),
    "cancelled, start date unknown: no fee": ({"cancelled_on": date(2026, 12, 1)}, GRANT,
                                              {"cancellation_fee_rate": D("0.30")}, {}),
    "cancelled early": ({"cancelled_on": date(2026, 11, 1), "start_date": date(2026, 12, 7)},
                        GRANT, {"cancellation_fee_rate": D("0.30")}, {}),
    "cancelled, no fee in the terms": ({"cancelled_on": date(2026, 12, 6),
                                        "start_date": date(2026, 12, 7)}, GRANT, {}, {}),
    # the operator accepted a PEC of 10.5 h per trainee for a 14 h convention: B attended 7 h,
    # A all 14 h, of which the OPCO pays 10.5 h only (1540 / 21 h x 17.5 h)
    "accepted PEC with fewer hours than the convention": (
        {"attended": {"A": D("14"), "B": D("7")}},
        Grant("ATLAS", "AT-1", D("1540.00"), D("10.5"), True), {},
        {"opco": D("1283.33"), "company": D("1516.67")}),
    "a PEC granting no hours: the company pays all": (
        {}, Grant("ATLAS", "AT-1", D("1540.00"), D("0"), True), {}, {"company": D("2800.00")}),
    "one trainee, a one-hour PEC": ({"price_ht": D("100.00"), "hours_per_trainee": D("1"),
                                     "trainees": 1, "attended": {"A": D("1")}},
                                    Grant("ATLAS", "AT-1", D("80.00"), D("1"), True), {},
                                    {"opco": D("80.00"), "company": D("20.00")}),
    # three trainees: 1000 / 42 h is not a round rate; the company takes the remaining cent
    "rounding with three trainees": ({"price_ht": D("1000.00"), "trainees": 3,
                                      "attended": {"A": D("14"), "B": D("13"), "C": D("7")}},
                                     Grant("ATLAS", "AT-1", D("1000.00"), D("14"), True), {},
                                     {"opco": D("809.52"), "company": D("190.48")}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_who_pays_what(case):
    changes, grant, options, expected = CASES[case]
    parts = split_session(billing(**changes), grant, **options)
    assert totals(parts) == expected
    assert all(part.funder == "opco" for part in parts if part.key == "opco")
    assert all(part.funder == "company" for part in parts if part.key != "opco")


def test_the_opco_invoice_has_a_line_per_trainee_with_their_hours_at_the_hourly_rate():
    names = {"A": "Éloïse Martin", "B": "Marc Petit"}
    (opco, company) = split_session(billing(attended={"A": D("14"), "B": D("10.5")},
                                            names=names), GRANT)
    assert [(line.quantity, line.unit, line.unit_price, line.amount) for line in opco.lines] == [
        (D("14"), "HUR", D("55.00"), D("770.00")), (D("10.5"), "HUR", D("55.00"), D("577.50"))]
    assert opco.lines[1].description == ("Action de formation « Excel avancé » — Marc Petit : "
                                         "10,5 h réalisées")
    assert [rest.amount for rest in company.lines] == [D("1260.00"), D("192.50")]


def test_an_absent_trainee_is_not_on_the_opco_invoice():
    (opco, _) = split_session(billing(attended={"A": D("14"), "B": D("0")}), GRANT)
    assert [line.description.rsplit("— ", 1)[1] for line in opco.lines] == ["A : 14 h réalisées"]


def test_an_hourly_rate_not_to_the_cent_gives_a_lump_sum_per_trainee_adding_up_exactly():
    grant = Grant("ATLAS", "AT-1", D("944.00"), D("10.5"), True)  # 44,9523… € per hour
    (opco, _) = split_session(billing(attended={"A": D("10.5"), "B": D("7"), "C": D("3.5")},
                                      trainees=2), grant)
    assert [(line.quantity, line.unit, line.unit_price) for line in opco.lines] == [
        (D(1), "C62", D("472.00")), (D(1), "C62", D("314.67")), (D(1), "C62", D("157.33"))]
    assert opco.total == D("944.00")


def test_an_accepted_pec_with_fewer_hours_bills_the_opco_at_most_its_hours_per_trainee():
    # the hours a trainee attended beyond the PEC's are not the OPCO's to pay, even when another
    # trainee's absences leave room under the grant
    grant = Grant("ATLAS", "AT-1", D("1540.00"), D("10.5"), True)
    (opco, _) = split_session(billing(attended={"A": D("14"), "B": D("7")}), grant)
    assert [line.description.rsplit("— ", 1)[1] for line in opco.lines] == [
        "A : 14 h réalisées, dont 10,5 h prises en charge", "B : 7 h réalisées"]
    assert opco.total == D("1283.33")


@pytest.mark.parametrize("case", list(CASES))
def test_every_line_is_its_quantity_times_its_unit_price_in_a_known_unit(case):
    # Factur-X: each line names what it bills, in a UN/ECE unit (hours, or one unit)
    changes, grant, options, _ = CASES[case]
    for line in (line for part in split_session(billing(**changes), grant, **options)
                 for line in part.lines):
        assert line.description.strip()
        assert line.unit in ("HUR", "C62")
        if line.unit == "C62":
            assert (line.quantity, line.unit_price) == (D(1), line.amount)
        # every price to the cent, and the line is its quantity times its price, exactly
        assert line.unit_price == line.unit_price.quantize(D("0.01"))
        assert line.quantity * line.unit_price == line.amount


@pytest.mark.parametrize(("start", "end", "days"), [
    (date(2026, 12, 4), date(2026, 12, 7), 1),    # Friday to Monday: the weekend does not count
    (date(2026, 11, 30), date(2026, 12, 7), 5),   # Monday to Monday
    (date(2026, 12, 4), date(2026, 12, 5), 0),    # Friday to Saturday
    (date(2026, 12, 7), date(2026, 12, 7), 0),    # the same day
    (date(2026, 11, 23), date(2026, 12, 7), 10),  # the notice of a late cancellation
])
def test_the_cancellation_notice_counts_working_days(start, end, days):
    assert business_days_between(start, end) == days


def test_an_invoice_is_due_after_the_payment_terms():
    assert due_date(date(2026, 12, 7)) == date(2027, 1, 6)  # 30 days by default
    assert due_date(date(2026, 12, 7), 45) == date(2027, 1, 21)


hours = st.decimals(min_value=0, max_value=35, places=1)


@given(price=st.decimals(min_value=1, max_value=100000, places=2),
       grant=st.decimals(min_value=0, max_value=120000, places=2),
       attended=st.lists(hours, min_size=1, max_size=6), subrogation=st.booleans(),
       apart=st.booleans())
def test_the_parts_always_add_up_to_the_price(price, grant, attended, subrogation, apart):
    session = billing(price_ht=price, trainees=len(attended),
                      attended={str(i): h for i, h in enumerate(attended)})
    parts = split_session(session, Grant("ATLAS", "X", grant, D("14"), subrogation),
                          absences_apart=apart)
    assert sum(p.total for p in parts) == price
    opco = sum(p.total for p in parts if p.funder == "opco")
    assert opco <= min(grant, price)  # never more than the grant
    assert all(line.amount >= 0 for p in parts for line in p.lines)
    for line in (line for p in parts for line in p.lines):  # shown to the cent, exact
        assert line.unit_price == line.unit_price.quantize(D("0.01"))
        assert line.quantity * line.unit_price == line.amount
    assert all(h > 0 for h in attended) or len([line for p in parts if p.funder == "opco"
                                                for line in p.lines]) < len(attended)


def test_numbers_and_reminders():
    assert invoice_number("FA", 2026, 123) == "FA-2026-000123"
    due = date(2026, 12, 30)
    assert reminder_due(due, date(2027, 1, 5)) is None
    assert reminder_due(due, date(2027, 1, 6)) == 7
    assert reminder_due(due, date(2027, 1, 29)) == 30


CLIENT = BuyerFacts("CL-01", "Menuiserie Dubois", "73282932000074", "12 rue des Lilas", "69003",
                    "Lyon", "compta@dubois.example")
ATLAS = BuyerFacts("ATLAS", "Atlas", "85164946800016", "25 quai Panhard et Levassor", "75013",
                   "Paris", "factures@atlas.example", full_name="OPCO Atlas")


def test_an_opco_part_is_addressed_to_the_opco_under_its_full_name():
    buyer = invoice_buyer("opco", client=CLIENT, opco=ATLAS)
    assert (buyer.ref, buyer.email) == ("ATLAS", "factures@atlas.example")
    assert buyer.party == InvoiceParty("OPCO Atlas", "85164946800016", "25 quai Panhard et Levassor",
                                       "75013", "Paris", email="factures@atlas.example")


def test_an_opco_without_a_full_name_is_named_by_its_usual_name():
    buyer = invoice_buyer("opco", client=CLIENT, opco=BuyerFacts(
        "AKTO", "Akto", "", "", "", "", "factures@akto.example"))
    assert (buyer.ref, buyer.party.name, buyer.email) == ("AKTO", "Akto", "factures@akto.example")


@pytest.mark.parametrize("opco", [ATLAS, None])
def test_every_other_part_is_addressed_to_the_client_company(opco):
    buyer = invoice_buyer("company", client=CLIENT, opco=opco)
    assert (buyer.ref, buyer.email) == ("CL-01", "compta@dubois.example")
    assert buyer.party == InvoiceParty("Menuiserie Dubois", "73282932000074", "12 rue des Lilas",
                                       "69003", "Lyon", email="compta@dubois.example")


def test_an_opco_part_needs_its_opco():
    with pytest.raises(InvoicingRefused) as refused:
        invoice_buyer("opco", client=CLIENT, opco=None)
    assert str(refused.value) == "facture à un OPCO dont les coordonnées sont inconnues"


def remainder(**changes):
    values = dict(number="FA-2026-000001", invoice_key="opco", funder="opco",
                  total_ttc=D("1837.50"), paid=D("1500.00"), note="plafond annuel atteint")
    return remainder_to_company(**{**values, **changes})


def test_what_the_opco_did_not_pay_is_billed_to_the_company():
    part = remainder()
    assert (part.key, part.funder, part.total) == ("opco-refacturation", "company", D("337.50"))
    assert part.lines == (SplitLine(
        "Part non prise en charge par l'OPCO sur la facture FA-2026-000001 (plafond annuel atteint)",
        D(1), "C62", D("337.50"), D("337.50")),)


@pytest.mark.parametrize(("paid", "rest"), [
    (D("0"), D("1837.50")),        # refused: the company owes it all
    (D("1837.49"), D("0.01")),     # a cent short
    (D("1500.004"), D("337.50")),  # 337.496: to the cent
    (D("1500.015"), D("337.49")),  # 337.485: half up (half even would give 337.48)
])
def test_the_remainder_is_the_total_less_what_was_paid_to_the_cent(paid, rest):
    (line,) = remainder(paid=paid).lines
    assert (line.unit_price, line.amount) == (rest, rest)
    assert str(line.amount) == str(rest)


@pytest.mark.parametrize("paid", [D("1837.50"), D("1837.504"), D("2000.00")])
def test_nothing_is_billed_when_the_opco_paid_it_all(paid):
    with pytest.raises(InvoicingRefused) as refused:
        remainder(paid=paid)
    assert str(refused.value) == f"l'OPCO a payé {paid} € sur 1837.50 € : rien à refacturer"


def test_only_an_opco_invoice_has_a_remainder_to_bill():
    with pytest.raises(InvoicingRefused) as refused:
        remainder(funder="company")
    assert str(refused.value) == "FA-2026-000001 n'est pas une facture à un OPCO"


def test_a_refusal_is_a_value_error():
    assert issubclass(InvoicingRefused, ValueError)


@pytest.mark.parametrize(("changes", "missing"), [
    ({}, []),
    ({"siret": "", "siren": "851296632"}, []),  # an OPCO known by its SIREN only
    ({"siret": "", "siren": ""}, ["SIREN"]),
    ({"siret": "", "siren": "851296633"},
     ["SIREN invalide : clé de contrôle (Luhn) fausse (851296633)"]),
    ({"name": " ", "address": "", "postcode": "", "city": ""},
     ["raison sociale", "adresse", "code postal", "ville"]),
])
def test_an_invoice_is_issued_only_to_an_identified_buyer(changes, missing):
    buyer = InvoiceParty("ATLAS, soutenir les compétences", "85129663200017",
                         "148 boulevard Haussmann", "75008", "Paris")
    assert missing_identity(dataclasses.replace(buyer, **changes)) == missing


@pytest.mark.parametrize(("completed", "cancelled", "as_of", "due"), [
    (date(2026, 12, 8), None, date(2026, 12, 7), False),  # a backfilled day before the end
    (date(2026, 12, 8), None, date(2026, 12, 8), True),
    (None, date(2026, 12, 1), date(2026, 12, 2), True),  # a dédit once cancelled
    (None, None, date(2026, 12, 8), False),  # neither done nor cancelled
    (date(2026, 12, 8), None, None, True),
])
def test_a_session_is_billed_once_done_or_cancelled_by_the_day(completed, cancelled, as_of, due):
    assert billable(completed, cancelled, as_of) is due
