"""The score table of matching (the rules of backoffice/matching/scoring.py), row by row, and the decision
thresholds: each test is a named situation with the points it must get, so that a changed point,
bonus, penalty or threshold fails here (docs/mutation.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from backoffice.matching import (
    Credit,
    MatchDecision,
    OpenInvoice,
    PayerDirectory,
    identify_payer,
    match_credit,
    match_credits,
)

D = Decimal
ACME_IBAN = "FR7610278060000002028630145"
ATLAS_IBAN = "FR7630004000031234567890143"
DIRECTORY = PayerDirectory(
    ibans={ATLAS_IBAN: "ATLAS", ACME_IBAN: "C-ACME"},
    names={"ATLAS": ("OPCO Atlas", "Atlas"), "C-ACME": ("ACME Formation SAS",),
           "C-BETA": ("Béta Conseil SARL",)},
)
BOOKED = date(2026, 11, 20)


def inv(counter: int, funder: str, residual: str, *, dossier: str | None = None,
        issued: date = date(2026, 10, 1)) -> OpenInvoice:
    kind = "opco" if funder == "ATLAS" else "company"
    return OpenInvoice(number=f"FA-2026-{counter:06d}", funder_kind=kind, funder_ref=funder,
                       funder_name=funder, session_ref="S-2026-0099", dossier_number=dossier,
                       residual=D(residual), issue_date=issued)


def credit(amount: str, label: str = "VIREMENT RECU", *, iban: str = "", counterparty: str = "",
           reference: str = "", line_id: str = "L1", booked: date = BOOKED) -> Credit:
    return Credit(line_id=line_id, booking_date=booked, amount=D(amount), label=label,
                  counterparty=counterparty, counterparty_iban=iban, reference=reference)


ACME_12 = inv(12, "C-ACME", "1200.00")
ACME_13 = inv(13, "C-ACME", "800.00", issued=date(2026, 10, 5))
ACME_14 = inv(14, "C-ACME", "1200.00", issued=date(2026, 10, 10))
BETA_301 = inv(301, "C-BETA", "500.00")
DOSSIER_777 = "AT-2026-000777"


def scores(decision: MatchDecision) -> list[int]:
    return [p.score for p in decision.proposals]


def allocations(*pairs: tuple[str, str]) -> tuple[tuple[str, Decimal], ...]:
    return tuple((f"FA-2026-{number}", D(amount)) for number, amount in pairs)


# --- the points of each row of the table ------------------------------------------------------------

@pytest.mark.parametrize(("case", "line", "invoices", "expected"), [
    # the reference situations of scoring.py's docstring
    ("exact number, exact amount, payer by IBAN", credit("1200.00", "FA-2026-000012", iban=ACME_IBAN),
     [ACME_12, ACME_13], 100),
    ("exact amount, the payer's only invoice of it, by IBAN", credit("800.00", iban=ACME_IBAN),
     [ACME_12, ACME_13], 90),
    ("… by its exact name", credit("800.00", counterparty="ACME FORMATION"), [ACME_12, ACME_13], 85),
    ("… by an approaching name", credit("800.00", counterparty="ACME FORMATIONS"), [ACME_12, ACME_13], 80),
    ("exact number, exact amount, payer unknown", credit("1200.00", "FA-2026-000012"),
     [ACME_12, ACME_13], 90),
    ("amount only, payer unknown, the only open invoice of it", credit("800.00"), [ACME_12, ACME_13], 35),
    ("a typo'd number, known payer, exact amount", credit("1200.00", "FACTURE FA-2026-000042",
                                                          iban=ACME_IBAN), [ACME_12, ACME_13], 70),
    ("partial payment of a cited invoice by its payer's IBAN",
     credit("1000.00", "FA-2026-000012 ACOMPTE", iban=ACME_IBAN), [ACME_12, ACME_13], 95),
    ("… by its payer's name", credit("1000.00", "FA-2026-000012 ACOMPTE", counterparty="ACME FORMATION"),
     [ACME_12, ACME_13], 90),
    # the other rows
    ("partial payment of an invoice cited by its counter, payer known (a strong reference)",
     credit("1000.00", "REGLEMENT 000012", iban=ACME_IBAN), [ACME_12, ACME_13], 90),
    ("over-payment of a cited invoice by its payer's IBAN",
     credit("1250.00", "FA-2026-000012", iban=ACME_IBAN), [ACME_12, ACME_13], 95),
    ("… by its payer's exact name", credit("1250.00", "FA-2026-000012", counterparty="ACME FORMATION"),
     [ACME_12, ACME_13], 90),
    ("… payer unknown", credit("1250.00", "FA-2026-000012"), [ACME_12, ACME_13], 60),
    ("a cited invoice of another funder than the identified payer: -30",
     credit("1200.00", "FA-2026-000012", iban=ATLAS_IBAN), [ACME_12, ACME_13], 60),
    ("a cited number that is none of the set's: -20", credit("1200.00", "FACTURE FA-2026-000042"),
     [ACME_12, ACME_13], 5),
    ("another funder's invoice of the amount, payer known: nothing, never below 0",
     credit("500.00", iban=ACME_IBAN), [BETA_301, ACME_12], 0),
    ("two cited invoices paid together, payer unknown: the only cited combination",
     credit("2000.00", "FA-2026-000012 FA-2026-000013"), [ACME_12, ACME_13], 90),
    ("the strongest reference of an invoice counts (exact form, then its 10 digits)",
     credit("1200.00", "FA-2026-000012", reference="2026000012"), [ACME_12, ACME_13], 90),
    ("an invoice issued the day of the payment can be settled by it",
     credit("1200.00", "FA-2026-000012", iban=ACME_IBAN), [replace(ACME_12, issue_date=BOOKED)], 100),
])
def test_the_points_of_a_situation(case, line, invoices, expected):
    assert match_credit(line, invoices, DIRECTORY).best.score == expected


def test_the_only_cited_invoice_of_the_amount_and_the_others_of_that_amount():
    # a dossier cites two invoices, one of the amount (+20, the only cited one of it); an invoice
    # of the same amount that nothing cites gets no uniqueness bonus
    invoices = [inv(1, "ATLAS", "700.00", dossier=DOSSIER_777),
                inv(2, "C-ACME", "300.00", dossier=DOSSIER_777), inv(3, "C-BETA", "700.00")]
    decision = match_credit(credit("700.00", f"DOSSIER {DOSSIER_777}"), invoices, DIRECTORY)
    assert scores(decision) == [70, 25, 25]
    assert decision.best.allocations == allocations(("000001", "700.00"))
    assert "seule facture citée à ce montant" in decision.best.evidence


def test_another_funders_invoice_of_the_amount_is_not_the_payers_only_one():
    invoices = [inv(1130, "C-ACME", "500.00"), BETA_301, ACME_12]
    decision = match_credit(credit("500.00", iban=ACME_IBAN), invoices, DIRECTORY)
    assert scores(decision) == [90, 0]


def test_two_cited_invoices_paid_together_are_the_only_cited_combination():
    decision = match_credit(credit("2000.00", "FA-2026-000012 FA-2026-000013"), [ACME_12, ACME_13],
                            DIRECTORY)
    assert "seule combinaison des factures citées à ce montant" in decision.best.evidence


def test_a_number_cited_twice_is_reported_where_it_is_first_read():
    decision = match_credit(credit("1200.00", "FA-2026-000012", reference="FA2026000012"), [ACME_12],
                            DIRECTORY)
    assert "numéro de facture FA-2026-000012 dans le libellé" in decision.best.evidence


def test_the_payers_interchangeable_invoices_rank_above_a_weak_reference():
    # three invoices of the amount by the payer, interchangeable (55 each), and another funder's
    # invoice of the dossier the label cites (0): the proposals are in score order
    invoices = [inv(5, "C-BETA", "2000.00", dossier=DOSSIER_777), inv(12, "C-ACME", "1200.00"),
                inv(13, "C-ACME", "1200.00"), inv(14, "C-ACME", "1200.00")]
    decision = match_credit(credit("1200.00", f"DOSSIER {DOSSIER_777}", iban=ACME_IBAN), invoices,
                            DIRECTORY)
    assert scores(decision) == [55, 55, 55]


def test_two_open_invoices_of_the_amount_and_no_payer_get_no_uniqueness_bonus():
    invoices = [inv(1130, "C-ACME", "500.00"), BETA_301, ACME_12]
    assert scores(match_credit(credit("500.00"), invoices, DIRECTORY)) == [25, 25]


def test_a_payment_citing_the_dossier_of_one_of_the_invoices_it_settles():
    # 700 + 300 = 1000, twice (two invoices of 300): partly referenced +15, IBAN 30, exact 25
    invoices = [inv(1, "ATLAS", "700.00", dossier=DOSSIER_777),
                inv(2, "ATLAS", "300.00", issued=date(2026, 10, 2)),
                inv(3, "ATLAS", "300.00", issued=date(2026, 10, 3))]
    decision = match_credit(credit("1000.00", f"DOSSIER {DOSSIER_777}", iban=ATLAS_IBAN), invoices,
                            DIRECTORY)
    assert scores(decision) == [70, 70, 55] and not decision.auto
    assert decision.best.allocations == allocations(("000001", "700.00"), ("000002", "300.00"))
    assert "une partie seulement des factures est citée" in decision.best.evidence
    assert "montant exact pour 2 factures" in decision.best.evidence


def test_a_partial_payment_of_two_cited_invoices_is_allocated_oldest_first_to_the_cent():
    # the set pays 1200 and 0.50: a partial payment of several invoices gets no +20, so it is not
    # certain; each one alone over-paid, with the other one cited elsewhere, is 70
    decision = match_credit(credit("1200.50", "FA-2026-000012 FA-2026-000013", iban=ACME_IBAN),
                            [ACME_12, ACME_13], DIRECTORY)
    assert not decision.auto and scores(decision) == [75, 70, 70]
    assert decision.best.allocations == allocations(("000012", "1200.00"), ("000013", "0.50"))


def test_a_partial_payment_of_several_invoices_says_what_remains_due_on_all_of_them():
    decision = match_credit(credit("1000.00", "FA-2026-000012 FA-2026-000013 FA-2026-000014",
                                   iban=ACME_IBAN), [ACME_12, ACME_13, ACME_14], DIRECTORY)
    assert any("paiement partiel (reste dû 2\u202f200,00\u00a0€)" in p.evidence for p in decision.proposals)


def test_what_remains_due_and_what_was_over_paid_are_told():
    partial = match_credit(credit("1000.00", "FA-2026-000012", iban=ACME_IBAN), [ACME_12], DIRECTORY)
    assert "paiement partiel (reste dû 200,00\u00a0€)" in partial.best.evidence
    over = match_credit(credit("1250.00", "FA-2026-000012", iban=ACME_IBAN), [ACME_12], DIRECTORY)
    assert "trop-perçu de 50,00\u00a0€ conservé en crédit non affecté" in over.best.evidence


def test_a_complete_search_does_not_say_it_was_limited():
    lot = [inv(101, "ATLAS", "700.00"), inv(102, "ATLAS", "450.50"), inv(103, "ATLAS", "320.25"),
           inv(104, "ATLAS", "999.99")]
    decision = match_credit(credit("1470.75", "VIR OPCO ATLAS", iban=ATLAS_IBAN), lot, DIRECTORY)
    assert decision.auto and "montant exact pour 3 factures" in decision.best.evidence
    assert not any("limitée" in evidence for evidence in decision.best.evidence)


def test_only_the_invoices_issued_after_the_payment_are_named_as_such():
    invoices = [replace(ACME_12, issue_date=BOOKED), replace(ACME_13, issue_date=BOOKED + timedelta(days=1))]
    decision = match_credit(credit("2000.00", "FA-2026-000012 FA-2026-000013", iban=ACME_IBAN), invoices,
                            DIRECTORY)
    both = next(p for p in decision.proposals if len(p.allocations) == 2)
    assert both.score == 40  # capped: a payment cannot settle an invoice issued after it
    assert "facture émise après le paiement (FA-2026-000013)" in both.evidence


def test_of_two_equally_likely_invoices_the_older_is_proposed_first():
    invoices = [inv(21, "ATLAS", "500.00", dossier=DOSSIER_777, issued=date(2026, 10, 5)),
                inv(22, "C-ACME", "500.00", dossier=DOSSIER_777, issued=date(2026, 10, 1))]
    decision = match_credit(credit("500.00", f"DOSSIER {DOSSIER_777}"), invoices, DIRECTORY)
    assert scores(decision) == [50, 50]
    assert [p.allocations[0][0] for p in decision.proposals] == ["FA-2026-000022", "FA-2026-000021"]


def test_of_two_equally_likely_invoices_of_the_same_day_the_lower_number_is_proposed_first():
    invoices = [replace(inv(21, "C-BETA", "500.00"), session_ref="S-2026-0012"),
                replace(inv(22, "C-ACME", "500.00", dossier=DOSSIER_777), session_ref="S-2026-0013")]
    decision = match_credit(credit("500.00", f"{DOSSIER_777} S-2026-0012"), invoices, DIRECTORY)
    assert scores(decision) == [50, 50]
    assert [p.allocations[0][0] for p in decision.proposals] == ["FA-2026-000021", "FA-2026-000022"]


def test_two_sets_that_allocate_alike_are_proposed_once():
    # 1200 citing two invoices: 12 alone, and 12 and 13 together (which only 12 receives)
    decision = match_credit(credit("1200.00", "FA-2026-000012 FA-2026-000013", iban=ACME_IBAN),
                            [ACME_12, ACME_13], DIRECTORY)
    assert len({p.allocations for p in decision.proposals}) == len(decision.proposals)


def test_an_invoice_the_credit_does_not_reach_receives_nothing():
    # 1200 citing 12 and 13: together they allocate 1200 to 12 and nothing to 13, as 12 alone does,
    # so that set is not proposed a second time (with 0.00 for 13)
    decision = match_credit(credit("1200.00", "FA-2026-000012 FA-2026-000013", iban=ACME_IBAN),
                            [ACME_12, ACME_13], DIRECTORY)
    assert [p.allocations for p in decision.proposals] == [allocations(("000012", "1200.00")),
                                                           allocations(("000013", "800.00"))]
    assert scores(decision) == [80, 70]


def test_the_invoices_cited_by_their_counters_are_proposed_together():
    decision = match_credit(credit("1500.00", "000012 000013", iban=ACME_IBAN), [ACME_12, ACME_13],
                            DIRECTORY)
    assert decision.best.allocations == allocations(("000012", "1200.00"), ("000013", "300.00"))
    assert scores(decision) == [70, 65, 65]


def test_a_payment_citing_another_funders_invoice_of_its_amount_proposes_it():
    decision = match_credit(credit("500.00", "REGLEMENT 2026000301", iban=ACME_IBAN), [ACME_12, BETA_301],
                            DIRECTORY)
    assert decision.best.allocations == allocations(("000301", "500.00"))


def test_another_funders_invoice_of_another_amount_is_not_proposed_for_its_number_alone():
    decision = match_credit(credit("1200.00", "REGLEMENT 2026000301", iban=ACME_IBAN), [ACME_12, BETA_301],
                            DIRECTORY)
    assert [p.allocations for p in decision.proposals] == [allocations(("000012", "1200.00"))]


def test_the_hypothesis_names_the_payer():
    decision = match_credit(credit("800.00", iban=ACME_IBAN), [ACME_12, ACME_13], DIRECTORY)
    assert decision.best.payer == "C-ACME"


# --- a known payer with nothing better: its oldest invoices in turn -------------------------------------

def test_the_oldest_invoices_a_payment_reaches_are_those_it_is_spread_on():
    decision = match_credit(credit("1500.00", iban=ACME_IBAN), [ACME_12, ACME_13, ACME_14], DIRECTORY)
    assert decision.best.allocations == allocations(("000012", "1200.00"), ("000013", "300.00"))
    assert "paiement partiel (reste dû 500,00\u00a0€)" in decision.best.evidence


@pytest.mark.parametrize(("amount", "expected"), [
    ("1500.00", (("000012", "1200.00"), ("000013", "300.00"))),
    ("1000.00", (("000012", "1000.00"),)),
    ("1200.50", (("000012", "1200.00"), ("000013", "0.50"))),
])
def test_a_known_payers_unreferenced_payment_goes_to_its_oldest_invoices(amount, expected):
    decision = match_credit(credit(amount, iban=ACME_IBAN), [ACME_12, ACME_13], DIRECTORY)
    assert not decision.auto and scores(decision) == [30]
    assert decision.best.allocations == allocations(*expected)


def test_the_oldest_invoices_are_not_proposed_when_something_points_elsewhere():
    decision = match_credit(credit("800.00", iban=ACME_IBAN), [ACME_12, ACME_13], DIRECTORY)
    assert decision.auto and [p.allocations for p in decision.proposals] == [
        allocations(("000013", "800.00"))]


# --- the decision thresholds --------------------------------------------------------------------------

def test_a_score_equal_to_certain_and_a_gap_equal_to_the_margin_are_enough():
    invoices = [inv(12, "C-ACME", "1200.00"), inv(13, "C-ACME", "1200.00"), inv(14, "C-ACME", "1200.00")]
    line = credit("1200.00", "FA-2026-000012", iban=ACME_IBAN)
    first = match_credit(line, invoices, DIRECTORY)
    best, gap = first.best.score, first.best.score - first.proposals[1].score
    assert match_credit(line, invoices, DIRECTORY, certain=best, margin=gap).auto
    assert not match_credit(line, invoices, DIRECTORY, certain=best + 1, margin=gap).auto
    narrow = match_credit(line, invoices, DIRECTORY, certain=best, margin=gap + 1)
    assert not narrow.auto and "deux hypothèses proches" in narrow.reason


def test_a_review_whose_gap_equals_the_margin_is_for_its_score():
    line = credit("1200.50", "FA-2026-000012 FA-2026-000013", iban=ACME_IBAN)  # 75, then 70
    decision = match_credit(line, [ACME_12, ACME_13], DIRECTORY, margin=5)
    assert not decision.auto and decision.reason == "score insuffisant (75 < 90)"
    closer = match_credit(line, [ACME_12, ACME_13], DIRECTORY, margin=6)
    assert closer.reason == "deux hypothèses proches (scores 75 et 70)"


def test_a_single_low_hypothesis_is_an_insufficient_score_not_two_close_ones():
    decision = match_credit(credit("500.00", iban=ACME_IBAN), [BETA_301, ACME_12], DIRECTORY)
    assert decision.reason == "score insuffisant (0 < 90)"


def test_the_reason_of_a_certain_decision():
    alone = match_credit(credit("800.00", iban=ACME_IBAN), [ACME_12, ACME_13], DIRECTORY)
    assert alone.auto and alone.reason == "hypothèse sûre (score 90, écart 90 avec la suivante)"
    over = match_credit(credit("1200.50", "FA-2026-000012", iban=ACME_IBAN), [ACME_12], DIRECTORY)
    assert over.auto and over.reason.startswith("hypothèse sûre (score 95")
    assert over.reason.endswith(" ; trop-perçu de 0,50\u00a0€ à traiter")


def test_the_default_thresholds_of_a_run_are_those_of_one_credit():
    # a run (the nightly) uses the defaults: 90 certain, a margin of 25, the payer's 12 oldest
    exactly_90 = credit("800.00", iban=ACME_IBAN, line_id="A")
    assert match_credits([exactly_90], [ACME_12, ACME_13], DIRECTORY)[0].auto
    # 1200 (cited by its counter) and 300 (by its dossier): 100, the runner-up 75
    gap_25 = credit("1500.00", f"000012 {DOSSIER_777}", counterparty="ACME FORMATIONS")
    invoices = [ACME_12, ACME_13, inv(102, "C-ACME", "300.00", dossier=DOSSIER_777)]
    (decision,) = match_credits([gap_25], invoices, DIRECTORY)
    assert scores(decision) == [100, 75] and decision.auto
    assert match_credit(gap_25, invoices, DIRECTORY) == decision
    assert not match_credits([exactly_90], [ACME_12, ACME_13], DIRECTORY, certain=95)[0].auto


def test_a_zero_or_negative_line_is_not_matched():
    for amount in ("0.00", "-50.00"):
        decision = match_credit(credit(amount, "FA-2026-000012", line_id="L9"), [ACME_12], DIRECTORY)
        assert (decision.line_id, decision.auto, decision.best) == ("L9", False, None)
        assert "ligne non créditrice" in decision.reason


def test_an_amount_beyond_the_cent_is_refused():
    with pytest.raises(ValueError, match="au-delà du centime"):
        match_credit(credit("10.005", iban=ACME_IBAN), [ACME_12], DIRECTORY)


# --- a run: what a certain decision leaves for the next credits -------------------------------------------

def test_the_last_cents_of_an_invoice_are_matched_by_their_amount():
    decisions = match_credits([credit("1199.50", "FA-2026-000012", iban=ACME_IBAN, line_id="1"),
                               credit("0.50", iban=ACME_IBAN, line_id="2")], [ACME_12, ACME_13], DIRECTORY)
    assert [d.auto for d in decisions] == [True, True]
    assert decisions[1].best.allocations == allocations(("000012", "0.50"))


def test_the_last_cents_of_an_invoice_can_be_cited_by_its_number():
    decisions = match_credits([credit("1199.50", "FA-2026-000012", iban=ACME_IBAN, line_id="1"),
                               credit("0.50", "SOLDE FA-2026-000012", iban=ACME_IBAN, line_id="2")],
                              [ACME_12, ACME_13], DIRECTORY)
    assert "numéro de facture FA-2026-000012 dans le libellé" in decisions[1].best.evidence


def test_the_rest_of_a_partly_paid_invoice_is_matched_by_its_amount_without_a_reference():
    decisions = match_credits([credit("1000.00", "FA-2026-000012", iban=ACME_IBAN, line_id="1"),
                               credit("200.00", iban=ACME_IBAN, line_id="2")], [ACME_12, ACME_13], DIRECTORY)
    assert [d.auto for d in decisions] == [True, True]
    assert decisions[1].best.score == 90  # the payer's only invoice of that amount now


def test_once_the_oldest_invoice_is_paid_the_next_payment_goes_to_the_next_oldest():
    decisions = match_credits([credit("1200.00", "FA-2026-000012", iban=ACME_IBAN, line_id="1"),
                               credit("500.00", iban=ACME_IBAN, line_id="2")],
                              [ACME_12, ACME_13, ACME_14], DIRECTORY)
    assert decisions[0].auto
    assert decisions[1].best.allocations == allocations(("000013", "500.00"))


def test_a_paid_invoice_is_never_in_a_later_combination():
    lot = [inv(101, "ATLAS", "700.00"), inv(102, "ATLAS", "450.50"), inv(103, "ATLAS", "320.25"),
           inv(104, "ATLAS", "999.99")]
    decisions = match_credits([credit("700.00", "FA-2026-000101", iban=ATLAS_IBAN, line_id="1"),
                               credit("1150.50", iban=ATLAS_IBAN, line_id="2")], lot, DIRECTORY)
    assert decisions[0].auto
    assert decisions[1].proposals and all(p.allocations for p in decisions[1].proposals)
    assert all(number != "FA-2026-000101" for p in decisions[1].proposals for number, _ in p.allocations)


def test_an_unknown_payers_certain_payment_is_applied_in_a_run():
    line = credit("1200.00", reference="FA2026000012", line_id="1")
    decisions = match_credits([line, replace(line, line_id="2")], [ACME_12, ACME_13], DIRECTORY)
    assert [d.auto for d in decisions] == [True, False]


def binary_lot(count: int) -> list[OpenInvoice]:
    """`count` invoices of one OPCO, 10, 20, 40 … euros (no two subsets add up alike), oldest first."""
    return [inv(500 + k, "ATLAS", str(10 * 2 ** k), issued=date(2026, 9, 1) + timedelta(days=k))
            for k in range(count)]


ONLY_AMONG_12 = "seule combinaison de factures du payeur à ce montant"
ONLY_OF_ALL = "seule combinaison des factures ouvertes du payeur à ce montant (toutes cherchées)"


@pytest.mark.parametrize(("count", "evidence"), [(12, ONLY_AMONG_12), (13, ONLY_OF_ALL)])
def test_a_combination_is_certain_when_it_is_the_payers_only_one(count, evidence):
    # 12 open invoices or fewer: the search of the oldest is complete; more: all of them are searched
    # for the amount (`Book.only_combination`, issue 18)
    decision = match_credit(credit("30.00", iban=ATLAS_IBAN), binary_lot(count), DIRECTORY)
    assert decision.best.allocations == allocations(("000500", "10"), ("000501", "20"))
    assert decision.auto and evidence in decision.best.evidence
    assert not any("limitée" in evidence for evidence in decision.best.evidence)


@pytest.mark.parametrize(("count", "evidence"), [(13, ONLY_AMONG_12), (14, ONLY_OF_ALL)])
def test_the_invoices_paid_earlier_in_a_run_no_longer_count_as_open(count, evidence):
    lot = binary_lot(count)
    newest = lot[-1]
    decisions = match_credits([credit(str(newest.residual), newest.number, iban=ATLAS_IBAN, line_id="1"),
                               credit("30.00", iban=ATLAS_IBAN, line_id="2")], lot, DIRECTORY)
    assert decisions[0].auto and decisions[1].auto and evidence in decisions[1].best.evidence


# --- the payer's points --------------------------------------------------------------------------------

def test_of_two_funders_with_approaching_names_the_closest_is_the_payer():
    directory = PayerDirectory(names={"A": ("Formation Conseil Lille",), "B": ("Formation Conseil Lyon",)})
    payer, evidence = identify_payer(credit("1", counterparty="FORMATION CONSEIL LIL"), directory)
    assert payer == "A", evidence
