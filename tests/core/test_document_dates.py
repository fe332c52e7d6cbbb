"""Dates that tell the truth and what the trainer reads (issue #17 §3, §4): a set that belongs
before the start is never issued after it; the trainer's e-mails never carry the client's
price."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest

from backoffice.document_kinds import (
    BUNDLE,
    CERTIFICATES,
    CONVENTION,
    DEVIS,
    DOCUMENT_SETS,
    START_KIT,
    Recipient,
)
from backoffice.documents import (
    INPUTS,
    DocumentPlan,
    SlotFacts,
    late_reason,
    plan_documents,
    schedule_lines,
    too_late,
)
from backoffice.funding_status import FundingStatus
from backoffice.sessions import has_started
from tests.core.test_document_kinds import DONE, FACTS

START = date(2026, 12, 7)


@pytest.mark.parametrize(("as_of", "started"), [
    (date(2026, 12, 6), False),
    (START, False),  # the night of the first day runs at 04:30, before its first slot
    (date(2026, 12, 8), True),
    (date(2027, 3, 1), True),
])
def test_a_session_has_started_from_the_day_after_its_first_day(as_of, started):
    assert has_started(START, as_of) is started


def test_only_the_convention_devis_and_convocations_belong_before_the_start():
    assert [s.kind for s in DOCUMENT_SETS if s.before_start] == [BUNDLE.kind, START_KIT.kind]


@pytest.mark.parametrize(("as_of", "late"), [
    (date(2026, 11, 20), []),
    (START, []),
    (date(2026, 12, 8), ["bundle", "start_kit"]),
])
def test_sets_due_after_the_start_are_too_late_but_certificates_never(as_of, late):
    facts = replace(FACTS, funding_status=FundingStatus.funded,
                    completed_at=None if as_of <= START else DONE)
    plans = plan_documents(facts, {})
    assert [p.kind for p in plans if too_late(p, facts, as_of)] == late
    assert CERTIFICATES.kind not in [p.kind for p in plans if too_late(p, facts, as_of)]


def test_a_new_version_after_the_start_is_too_late_too():
    facts = replace(FACTS, funding_status=FundingStatus.funded)
    first = {p.kind: (1, p.fingerprint, INPUTS[p.kind](facts)) for p in plan_documents(facts, {})}
    moved = replace(facts, trainer_name="Jean Martin")
    [plan] = plan_documents(moved, first)
    assert (plan.kind, plan.version) == ("start_kit", 2)
    assert too_late(plan, moved, date(2026, 12, 8))
    assert late_reason([plan], moved) == (
        "session commencée le 7 décembre 2026 avant l'envoi de : les convocations et les "
        "feuilles d'émargement, version 2 (formateur : É. M. → Jean Martin). Rien n'en est produit "
        "ni envoyé après le début (un document daté d'après le début ne peut pas en tenir "
        "lieu) : à régulariser avec le client et le formateur")


def test_the_late_reason_names_every_set_never_sent():
    plans = [DocumentPlan("S-1", "bundle", 1, "x", ""), DocumentPlan("S-1", "start_kit", 1, "y", "")]
    assert late_reason(plans, FACTS).startswith(
        "session commencée le 7 décembre 2026 avant l'envoi de : la convention, le programme et "
        "le devis ; les convocations et les feuilles d'émargement. ")


def test_no_email_that_reaches_the_trainer_carries_a_document_with_the_client_price():
    priced = {CONVENTION, DEVIS}
    for document_set in DOCUMENT_SETS:
        for email in document_set.emails:
            if Recipient.trainer in email.to + email.cc:
                assert not priced & set(email.attached), email.key


def test_the_schedule_lists_each_day_with_its_slots_in_order():
    slots = (SlotFacts(date(2026, 12, 8), time(13, 30), time(17)),
             SlotFacts(date(2026, 12, 7), time(9), time(12, 30)),
             SlotFacts(date(2026, 12, 8), time(9), time(12, 30)))
    assert schedule_lines(slots) == ["7 décembre 2026 : 09:00-12:30",
                                     "8 décembre 2026 : 09:00-12:30 et 13:30-17:00"]


def test_only_trainees_with_realised_hours_get_a_certificate():
    from backoffice.documents import Presence, TraineeFacts, certified_trainees, due_kinds

    two = replace(FACTS, funding_status=FundingStatus.funded, completed_at=DONE,
                  trainees=(*FACTS.trainees, TraineeFacts("T-2", "Léo", "Absent")),
                  presences=(Presence("T-1", START, "am", True),
                             Presence("T-2", START, "am", False)))
    assert [t.trainee_ref for t in certified_trainees(two)] == ["T-1"]
    assert "certificates" in due_kinds(two)
    nobody = replace(two, presences=(Presence("T-1", START, "am", False),))
    assert certified_trainees(nobody) == ()
    assert "certificates" not in due_kinds(nobody)  # no set of zero certificates


def test_a_half_day_without_evidence_is_not_billed_to_the_opco():
    from datetime import UTC, datetime
    from decimal import Decimal

    from backoffice.documents import Presence, attended_hours, unevidenced
    from backoffice.invoicing import Grant, SessionBilling, split_session

    signed = datetime(2026, 12, 7, 8, 5, tzinfo=UTC)
    day = replace(FACTS, slots=(SlotFacts(START, time(9), time(12, 30)),
                                SlotFacts(START, time(13, 30), time(17))),
                  presences=(Presence("T-1", START, "am", True, trainee_signed_at=signed,
                                      trainer_signed_at=signed, signature_method="paper"),
                             Presence("T-1", START, "pm", True)))  # declared, no evidence
    assert [(p.day, p.half_day) for p in unevidenced(day)] == [(START, "pm")]
    hours = attended_hours(day)
    assert hours == {"T-1": Decimal("3.50")}
    billing = SessionBilling("S-1", "Excel", Decimal(700), Decimal(7), 1, "opco_subrogation",
                             FundingStatus.funded, hours)
    parts = {p.key: p.total for p in split_session(
        billing, Grant("ATLAS", "AT-1", Decimal(700), Decimal(7), True))}
    assert parts == {"opco": Decimal("350.00"), "company": Decimal("350.00")}
    # an older export, no evidence anywhere: declared presences count as before
    legacy = replace(day, presences=(Presence("T-1", START, "am", True),
                                     Presence("T-1", START, "pm", True)))
    assert attended_hours(legacy) == {"T-1": Decimal("7.00")} and unevidenced(legacy) == []
