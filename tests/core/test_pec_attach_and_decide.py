"""Where a PEC belongs, and the day's decisions: green light, review, supersede."""

from datetime import date
from decimal import Decimal

import pytest

from backoffice.pec_attach import fit, locate_session
from backoffice.pec_reconciliation import (
    ACCEPTED,
    REJECTED,
    REVIEW,
    SUPERSEDED,
    VALIDATED,
    PecDecision,
    decide_pecs,
    funded_sessions,
)
from tests.core.pec_samples import PEC, SESSION, pec, session

# the same client has a second session a month later, with other trainees
OTHER = session(session_ref="S-002", start_date=date(2027, 1, 11), end_date=date(2027, 1, 12),
                trainees=("Anne Martin",))
SESSIONS = {"S-001": SESSION, "S-002": OTHER}


def test_the_session_the_client_named_when_it_is_right():
    assert locate_session(PEC, SESSIONS).session_ref == "S-001"


def test_a_pec_named_for_the_wrong_session_is_not_attached_and_the_right_one_proposed():
    attachment = locate_session(pec(session_ref="S-002"), SESSIONS)
    assert attachment.session_ref is None and attachment.proposed == ("S-001",)
    assert "rattachée par le client à S-002, mais elle correspond à S-001" in \
        attachment.problem.message


def test_a_named_session_with_problems_stays_attached_when_nothing_fits_better():
    attachment = locate_session(pec(hours=Decimal("10.5")), SESSIONS)
    assert attachment.session_ref == "S-001"


def test_a_pec_without_session_ref_is_attached_to_its_one_clear_match():
    attachment = locate_session(pec(session_ref=None), SESSIONS)
    assert (attachment.session_ref, attachment.automatic) == ("S-001", True)


def test_an_ambiguous_or_unknown_pec_goes_to_an_operator_with_proposals():
    twin = session(session_ref="S-003")
    ambiguous = locate_session(pec(session_ref=None), {**SESSIONS, "S-003": twin})
    assert ambiguous.session_ref is None and ambiguous.proposed[:2] == ("S-001", "S-003")
    assert "plusieurs sessions possibles" in ambiguous.problem.message
    unknown = locate_session(pec(session_ref="S-999"), SESSIONS)
    assert unknown.session_ref is None and "S-999 inconnue" in unknown.problem.message
    assert unknown.proposed[0] == "S-001"
    stranger = locate_session(pec(session_ref=None, client_siret="35600000049837"), SESSIONS)
    assert "aucune session de ce client" in stranger.problem.message


# how well the PEC of the samples describes a session: overlapping dates 1, the exact dates 3,
# the hours 1, the client's OPCO (or unknown) 1, a close title 1, the same trainees 2
@pytest.mark.parametrize(("case", "pec_changes", "session_changes", "points"), [
    ("its own session", {}, {}, 9),
    ("the client's OPCO unknown", {}, {"client_opco": None}, 9),
    ("dates overlapping, not the same", {}, {"start_date": date(2026, 12, 8),
                                             "end_date": date(2026, 12, 9)}, 6),
    ("the PEC ends the day the session starts", {"start_date": date(2026, 12, 1),
                                                 "end_date": date(2026, 12, 7)}, {}, 6),
    ("the PEC starts the day the session ends", {"start_date": date(2026, 12, 8),
                                                 "end_date": date(2026, 12, 15)}, {}, 6),
    ("other hours", {"hours": Decimal("7")}, {}, 8),
    ("another OPCO", {"opco": "OPCO_2I"}, {}, 8),
    ("a title too far", {"title": "Management d'équipe"}, {}, 8),
    ("no title", {"title": None}, {}, 8),
    ("a trainee missing", {"trainees": ("Marc Dupont",)}, {}, 7),
    ("no trainee named", {"trainees": ()}, {}, 7),
    ("nothing but overlapping dates", {"hours": Decimal("7"), "opco": "OPCO_2I", "title": None,
                                       "trainees": ()}, {"end_date": date(2026, 12, 9)}, 1),
    ("dates that do not overlap", {}, {"start_date": date(2027, 1, 11),
                                       "end_date": date(2027, 1, 12)}, 0),
])
def test_the_fit_of_a_pec_to_a_session(case, pec_changes, session_changes, points):
    assert fit(pec(**pec_changes), session(**session_changes)) == points


def test_a_named_session_that_fits_as_well_as_another_stays_attached():
    twin = session(session_ref="S-003")
    assert locate_session(PEC, {**SESSIONS, "S-003": twin}).session_ref == "S-001"


def test_a_pec_without_session_is_attached_on_the_exact_dates_alone():
    # exact dates (and the overlap) are 4 points, the least for an automatic attachment; the
    # hours, the OPCO and the trainees are then the checks' business
    bare = pec(session_ref=None, hours=Decimal("7"), opco="OPCO_2I", title=None, trainees=())
    attachment = locate_session(bare, SESSIONS)
    assert (attachment.session_ref, attachment.automatic) == ("S-001", True)
    near = pec(session_ref=None, hours=Decimal("7"), opco="OPCO_2I", title=None,
               start_date=date(2026, 12, 1))  # overlap 1 + trainees 2: 3 points
    assert locate_session(near, SESSIONS).session_ref is None


def test_the_proposals_are_the_overlapping_sessions_best_first_three_at_most():
    weak = session(session_ref="S-004", start_date=date(2026, 12, 8), end_date=date(2026, 12, 9),
                   hours_per_trainee=Decimal("7"), client_opco="OPCO_2I", title="Management",
                   trainees=("Anne Martin",))  # overlapping dates only: 1 point
    attachment = locate_session(pec(session_ref="S-999"), {**SESSIONS, "S-004": weak})
    assert attachment.proposed == ("S-001", "S-004")  # S-002 does not overlap: never proposed
    assert attachment.problem.rule == "session_ref"
    assert "session S-999 inconnue ; session proposée : S-001" in attachment.problem.message
    many = {f"S-00{n}": session(session_ref=f"S-00{n}") for n in range(1, 6)}
    assert locate_session(pec(session_ref=None), many).proposed == ("S-001", "S-002", "S-003")


def test_every_attachment_problem_is_a_session_ref_problem():
    wrong = locate_session(pec(session_ref="S-002"), SESSIONS)
    unknown = locate_session(pec(session_ref="S-999", client_siret="35600000049837"), SESSIONS)
    orphan = locate_session(pec(session_ref=None, client_siret="35600000049837"), SESSIONS)
    assert [a.problem.rule for a in (wrong, unknown, orphan)] == ["session_ref"] * 3
    assert unknown.proposed == () and unknown.problem.message == "session S-999 inconnue"


def test_an_automatically_attached_pec_in_review_shows_its_candidates():
    decisions = decide_pecs([pec(session_ref=None, hours=Decimal("7"))], SESSIONS, {})
    decision = decisions["PEC-1"]
    assert (decision.status, decision.session_ref, decision.automatic) == (REVIEW, "S-001", True)
    assert decision.proposals == ("S-001",)


def test_decisions_green_light_and_review():
    decisions = decide_pecs([PEC, pec(pec_ref="PEC-2", session_ref="S-002",
                                      start_date=date(2027, 1, 11), end_date=date(2027, 1, 12),
                                      trainees=("Anne Martin",), hours=Decimal("7"))],
                            SESSIONS, {})
    assert decisions["PEC-1"].status == VALIDATED
    assert decisions["PEC-2"].status == REVIEW
    assert [p.rule for p in decisions["PEC-2"].problems] == ["hours"]
    assert funded_sessions(decisions) == {"S-001": "PEC-1"}


def test_a_corrected_pec_supersedes_the_first_one():
    first = pec(amount_granted_ht=Decimal("1500.00"))
    corrected = pec(pec_ref="PEC-9", received_on=date(2026, 11, 25))
    decisions = decide_pecs([first, corrected], SESSIONS, {})
    assert decisions["PEC-1"].status == SUPERSEDED and decisions["PEC-1"].superseded_by == "PEC-9"
    assert decisions["PEC-9"].status == VALIDATED
    assert funded_sessions(decisions) == {"S-001": "PEC-9"}


def test_operator_decisions_are_final():
    accepted = PecDecision("PEC-1", ACCEPTED, "S-001")
    assert decide_pecs([pec(hours=Decimal("7"))], SESSIONS, {"PEC-1": accepted})["PEC-1"] \
        .status == ACCEPTED
    rejected = PecDecision("PEC-1", REJECTED, "S-001")
    decisions = decide_pecs([PEC, pec(pec_ref="PEC-0", received_on=date(2026, 11, 1))],
                            SESSIONS, {"PEC-1": rejected})
    assert decisions["PEC-1"].status == REJECTED  # a rejected PEC supersedes nothing
    assert decisions["PEC-0"].status == VALIDATED


def test_deciding_twice_gives_the_same_decisions():
    pecs = [PEC, pec(pec_ref="PEC-2", session_ref="S-002")]
    first = decide_pecs(pecs, SESSIONS, {})
    assert decide_pecs(pecs, SESSIONS, first) == first

