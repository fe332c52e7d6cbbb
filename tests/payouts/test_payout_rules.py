"""When a trainer is owed, how much, and what is on a statement: the table of cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from backoffice.payouts import (
    FunderInvoice,
    NdaPolicy,
    Outcome,
    PayoutMode,
    SessionPayoutFacts,
    TrainerFacts,
    TrainerInvoiceFacts,
    batch_id,
    batch_ids_in,
    decide_payout,
    execution_date,
    payment_cap_days_left,
    payout_ids_in,
    remittance,
)

TRAINER = TrainerFacts("TR-1", "Élodie Marchand", None, None, "11755555575", "franchise", False)
OPCO_PAID = FunderInvoice("FA-2026-000001", D("1837.50"), D("0.00"), D("1837.50"))
COMPANY_UNPAID = FunderInvoice("FA-2026-000002", D("612.50"), D("0.00"), D("0.00"))
COMPANY_PAID = replace(COMPANY_UNPAID, paid=D("612.50"))
INVOICE_OK = TrainerInvoiceFacts("F-17", D("1500.00"), D("0.00"), D("1500.00"))
BASE = SessionPayoutFacts("S-1", D("1500.00"), TRAINER, (OPCO_PAID, COMPANY_PAID), (INVOICE_OK,))


def facts(**changes) -> SessionPayoutFacts:
    trainer = changes.pop("trainer", {})
    return replace(BASE, trainer=replace(TRAINER, **trainer), **changes)


# (case, facts, mode, nda policy, outcome, amount HT, VAT, reason contains)
CASES = [
    ("all funders paid: the whole fee", facts(), "when_paid", "warn", Outcome.pay,
     "1500.00", "0.00", ""),
    ("vat regime: fee plus 20 %", facts(trainer={"vat_regime": "vat"}, trainer_invoices=(
        TrainerInvoiceFacts("F-17", D("1500.00"), D("300.00"), D("1800.00")),)),
     "when_paid", "warn", Outcome.pay, "1500.00", "300.00", ""),
    ("exempt regime: no VAT", facts(trainer={"vat_regime": "exempt"}), "when_paid", "warn",
     Outcome.pay, "1500.00", "0.00", ""),
    ("one funder invoice unpaid: wait", facts(funder_invoices=(OPCO_PAID, COMPANY_UNPAID)),
     "when_paid", "warn", Outcome.wait, "0", "0", "FA-2026-000002"),
    ("a partly paid invoice: wait", facts(funder_invoices=(
        OPCO_PAID, replace(COMPANY_UNPAID, paid=D("600.00")))), "when_paid", "warn",
     Outcome.wait, "0", "0", "non soldées"),
    ("no invoice issued yet: wait", facts(funder_invoices=()), "when_paid", "warn", Outcome.wait,
     "0", "0", "aucune facture"),
    ("a credited invoice counts for what is left", facts(funder_invoices=(
        OPCO_PAID, replace(COMPANY_UNPAID, credited=D("612.50")))), "when_paid", "warn",
     Outcome.pay, "1500.00", "0.00", ""),
    ("pro rata: 75 % paid, 75 % of the fee", facts(funder_invoices=(OPCO_PAID, COMPANY_UNPAID)),
     "pro_rata", "warn", Outcome.pay, "1125.00", "0.00", ""),
    ("pro rata: the rest once all is paid", facts(already_ht=D("1125.00")), "pro_rata", "warn",
     Outcome.pay, "375.00", "0.00", ""),
    ("pro rata with VAT: the tranches add up to the total", facts(
        trainer={"vat_regime": "vat"}, already_ht=D("1124.99"), already_vat=D("225.00"),
        trainer_invoices=(TrainerInvoiceFacts("F-17", D("1500.00"), D("300.00"), D("1800.00")),)),
     "pro_rata", "warn", Outcome.pay, "375.01", "75.00", ""),
    ("pro rata: nothing paid yet", facts(funder_invoices=(
        replace(OPCO_PAID, paid=D("0")), COMPANY_UNPAID)), "pro_rata", "warn", Outcome.wait,
     "0", "0", "rien de plus"),
    ("already paid: done", facts(already_ht=D("1500.00")), "when_paid", "warn", Outcome.done,
     "0", "0", ""),
    ("no fee: nothing to pay", facts(fee_ht=D("0.00")), "when_paid", "warn", Outcome.done,
     "0", "0", "pas d'honoraires"),
    ("no trainer invoice and no mandate: wait", facts(trainer_invoices=()), "when_paid", "warn",
     Outcome.wait, "0", "0", "facture du formateur attendue"),
    ("self-billing mandate: no invoice needed", facts(trainer={"self_billing": True},
                                                      trainer_invoices=()),
     "when_paid", "warn", Outcome.pay, "1500.00", "0.00", ""),
    ("trainer invoice of another amount: review", facts(trainer_invoices=(
        replace(INVOICE_OK, amount_ht=D("1600.00"), amount_ttc=D("1600.00")),)), "when_paid",
     "warn", Outcome.review, "0", "0", "attendu 1500.00 € HT"),
    ("trainer invoice with VAT under franchise: review", facts(trainer_invoices=(
        TrainerInvoiceFacts("F-17", D("1500.00"), D("300.00"), D("1800.00")),)), "when_paid",
     "warn", Outcome.review, "0", "0", "300.00 € de TVA"),
    ("a corrected invoice deposited later is used", facts(trainer_invoices=(
        replace(INVOICE_OK, number="F-16", amount_ht=D("1400.00")), INVOICE_OK)), "when_paid",
     "warn", Outcome.pay, "1500.00", "0.00", ""),
    ("invalid IBAN: review", facts(trainer={"iban_problem": "IBAN invalide (clé)"}), "when_paid",
     "warn", Outcome.review, "0", "0", "IBAN invalide"),
    ("invalid SIRET: review", facts(trainer={"siret_problem": "SIRET invalide"}), "when_paid",
     "warn", Outcome.review, "0", "0", "SIRET"),
    ("no account holder name: review", facts(trainer={"holder_name": " "}), "when_paid", "warn",
     Outcome.review, "0", "0", "titulaire"),
    ("no NDA, policy warn: paid with a warning", facts(trainer={"nda": None}), "when_paid",
     "warn", Outcome.pay, "1500.00", "0.00", ""),
    ("no NDA, policy block: review", facts(trainer={"nda": ""}), "when_paid", "block",
     Outcome.review, "0", "0", "NDA"),
    ("a returned transfer not dealt with: review", facts(unresolved_failure="virement revenu"),
     "when_paid", "warn", Outcome.review, "0", "0", "revenu"),
    ("an unknown VAT regime: review, naming it", facts(trainer={"vat_regime": "auto"}),
     "when_paid", "warn", Outcome.review, "0", "0", "régime de TVA du formateur TR-1 inconnu"),
    ("a fee of one euro is paid like any other", facts(fee_ht=D("1.00"), trainer_invoices=(
        TrainerInvoiceFacts("F-17", D("1.00"), D("0.00"), D("1.00")),)), "when_paid", "warn",
     Outcome.pay, "1.00", "0.00", ""),
    ("an invoice credited down to 0.50 € and paid: the trainer is paid", facts(funder_invoices=(
        FunderInvoice("FA-2026-000003", D("612.50"), D("612.00"), D("0.50")),)), "when_paid",
     "warn", Outcome.pay, "1500.00", "0.00", ""),
    ("pro rata rounds down to the cent: never ahead of the funders", facts(
        fee_ht=D("1000.00"), funder_invoices=(
            FunderInvoice("FA-2026-000004", D("300.00"), D("0.00"), D("200.00")),),
        trainer_invoices=(TrainerInvoiceFacts("F-17", D("1000.00"), D("0.00"), D("1000.00")),)),
     "pro_rata", "warn", Outcome.pay, "666.66", "0.00", ""),  # 2/3 of 1000, not 666.67
    # the VAT of 1000.03 is 200.01 (200.006), of the 1000.02 already paid 200.00: a cent of each
    ("pro rata with VAT: the last cent of fee and of VAT is still paid", facts(
        fee_ht=D("1000.03"), trainer={"vat_regime": "vat"}, already_ht=D("1000.02"),
        already_vat=D("200.00"),
        trainer_invoices=(TrainerInvoiceFacts("F-17", D("1000.03"), D("200.01"), D("1200.04")),)),
     "pro_rata", "warn", Outcome.pay, "0.01", "0.01", ""),
]


@pytest.mark.parametrize(("case", "given", "mode", "nda", "outcome", "ht", "vat", "reason"),
                         CASES, ids=[c[0] for c in CASES])
def test_the_eligibility_table(case, given, mode, nda, outcome, ht, vat, reason):
    decision = decide_payout(given, mode=PayoutMode(mode), nda_policy=NdaPolicy(nda))

    assert decision.outcome is outcome, decision.reasons
    assert (decision.amount_ht, decision.vat) == (D(ht), D(vat))
    assert reason in " ".join(decision.reasons)
    if outcome is Outcome.pay:
        assert decision.amount == D(ht) + D(vat)
        assert decision.self_billed == given.trainer.self_billing
        assert decision.trainer_invoice == (None if given.trainer.self_billing else "F-17")


def test_a_missing_nda_is_a_warning_when_paid():
    decision = decide_payout(facts(trainer={"nda": None}))
    assert decision.outcome is Outcome.pay and "NDA" in decision.warnings[0]


def test_a_missing_nda_is_warned_about_whatever_the_outcome():
    waiting = decide_payout(facts(trainer={"nda": None}, trainer_invoices=()))
    assert waiting.outcome is Outcome.wait and "NDA" in waiting.warnings[0]
    in_review = decide_payout(facts(trainer={"nda": None, "iban_problem": "IBAN invalide"}))
    assert in_review.outcome is Outcome.review and "NDA" in in_review.warnings[0]


@pytest.mark.parametrize(("decided", "today", "expected"), [
    (date(2026, 11, 30), None, date(2026, 12, 1)),   # Monday → Tuesday
    (date(2026, 12, 4), None, date(2026, 12, 7)),    # Friday → Monday
    (date(2026, 4, 2), None, date(2026, 4, 7)),      # Thursday → Good Friday, Easter Monday → Tue
    (date(2026, 4, 30), None, date(2026, 5, 4)),     # 1 May is a Friday → Monday 4
    (date(2026, 12, 24), None, date(2026, 12, 28)),  # Christmas, 26th, the weekend → Monday 28
    (date(2026, 12, 31), None, date(2027, 1, 4)),    # New Year's Day then the weekend
    (date(2026, 7, 13), None, date(2026, 7, 14)),    # 14 July is a TARGET2 business day
    (date(2026, 11, 2), date(2026, 11, 28), date(2026, 11, 30)),  # a late export: not in the past
])
def test_the_execution_date_is_the_next_target2_business_day(decided, today, expected):
    assert execution_date(decided, today) == expected


def test_ids_and_remittance():
    assert batch_id(date(2026, 12, 1), 1) == "VIR-FORMATEURS-20261201-01"
    assert remittance("S-2026-0012", "F-17") == "Honoraires session S-2026-0012 facture F-17"


@pytest.mark.parametrize(("text", "payouts", "batches"), [
    ("VIR SEPA EMIS PO-2026-000042 HONORAIRES", ["PO-2026-000042"], []),
    ("VIR SEPA EMIS PO2026000042", ["PO-2026-000042"], []),  # dashes dropped by the bank
    ("REMISE VIR-FORMATEURS-20261201-01 2 VIREMENTS", [], ["VIR-FORMATEURS-20261201-01"]),
    ("VIR SEPA EMIS PO-2026-0000421", [], []),  # not a payout id: one digit too many
    ("VIR SEPA EMIS FRAIS", [], []),
])
def test_payout_and_batch_ids_found_on_a_statement_line(text, payouts, batches):
    assert payout_ids_in(text) == payouts
    assert batch_ids_in(text) == batches


def test_only_a_missing_trainer_invoice_says_the_funders_paid_and_the_trainer_must_invoice():
    awaited = decide_payout(facts(trainer_invoices=()))
    unpaid = decide_payout(facts(funder_invoices=(OPCO_PAID, COMPANY_UNPAID)))
    assert (awaited.outcome, awaited.awaits_trainer_invoice) == (Outcome.wait, True)
    assert (unpaid.outcome, unpaid.awaits_trainer_invoice) == (Outcome.wait, False)

@pytest.mark.parametrize(("as_of", "left"), [
    (date(2026, 11, 21), None),  # 44 days after receipt: nothing to say yet
    (date(2026, 11, 22), 15),
    (date(2026, 12, 7), 0),  # the 60th day
    (date(2026, 12, 10), -3),
])
# the 60-day cap of a trainer invoice (Code de commerce L441-10), shown from the 45th day
def test_a_trainer_invoice_shows_the_days_left_before_the_cap_from_day_45(as_of, left):
    assert payment_cap_days_left(date(2026, 10, 8), as_of) == left
