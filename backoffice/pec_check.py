"""Checking a funding approval (PEC) against the session it funds.

Each rule is a small function `rule(pec, session) -> Problem | None` with a name; `RULES` runs
them in order and `check_pec` returns every problem found. No problem: the green light. A grant
below the price is not a problem: the company pays the rest (*reste à charge*).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from backoffice.dates import format_date_fr, format_hours
from backoffice.money import ZERO, format_eur, quantize
from backoffice.names import titles_close, unmatched_names

FUNDING_WITH_SUBROGATION = "opco_subrogation"
FUNDING_WITH_REIMBURSEMENT = "opco_reimbursement"
OPCO_FUNDINGS = (FUNDING_WITH_SUBROGATION, FUNDING_WITH_REIMBURSEMENT)


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What the convention says, as the platform exported it."""

    session_ref: str
    client_ref: str
    client_siret: str
    client_opco: str | None  # as resolved by backoffice.opco (PEC, export, IDCC), None if unknown
    title: str
    start_date: date
    end_date: date
    hours_per_trainee: Decimal
    price_ht: Decimal
    funding: str
    trainees: tuple[str, ...]  # "First Last"
    validated: bool = True
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class PecFacts:
    """What the OPCO's approval says, as the client uploaded it."""

    pec_ref: str
    session_ref: str | None
    opco: str
    dossier_number: str
    client_siret: str
    title: str | None
    start_date: date
    end_date: date
    hours: Decimal
    amount_granted_ht: Decimal
    subrogation: bool
    trainees: tuple[str, ...]
    received_on: date  # business date (Paris) of the upload


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a PEC cannot give the green light on its own; French, for the operator."""

    rule: str
    message: str


Rule = Callable[[PecFacts, SessionFacts], Problem | None]


def opco_is_the_clients(pec: PecFacts, session: SessionFacts) -> Problem | None:
    if session.client_opco is None or pec.opco == session.client_opco:
        return None
    return Problem("opco", f"OPCO de la PEC ({pec.opco}) différent de celui du client "
                           f"({session.client_opco})")


def client_siret(pec: PecFacts, session: SessionFacts) -> Problem | None:
    if pec.client_siret == session.client_siret:
        return None
    return Problem("siret", f"SIRET de la PEC ({pec.client_siret}) différent de celui du client "
                            f"({session.client_siret})")


def dates_cover_the_session(pec: PecFacts, session: SessionFacts) -> Problem | None:
    if pec.start_date <= session.start_date and pec.end_date >= session.end_date:
        return None
    return Problem("dates", f"période de la PEC (du {format_date_fr(pec.start_date)} au "
                            f"{format_date_fr(pec.end_date)}) ne couvre pas la session (du "
                            f"{format_date_fr(session.start_date)} au "
                            f"{format_date_fr(session.end_date)})")


def hours_cover_the_convention(pec: PecFacts, session: SessionFacts) -> Problem | None:
    if pec.hours >= session.hours_per_trainee:
        return None
    return Problem("hours", f"heures accordées ({format_hours(pec.hours)}) inférieures à celles "
                            f"de la convention ({format_hours(session.hours_per_trainee)} par "
                            "stagiaire)")


def trainees_match(pec: PecFacts, session: SessionFacts) -> Problem | None:
    if not pec.trainees:
        return Problem("trainees", "la PEC ne nomme pas les stagiaires")
    missing, extra = unmatched_names(list(session.trainees), list(pec.trainees))
    parts = []
    if missing:
        parts.append("stagiaires absents de la PEC : " + ", ".join(missing))
    if extra:
        parts.append("noms de la PEC inconnus de la session : " + ", ".join(extra))
    return Problem("trainees", " ; ".join(parts)) if parts else None


def title_is_close(pec: PecFacts, session: SessionFacts) -> Problem | None:
    if not pec.title or titles_close(session.title, pec.title):
        return None
    return Problem("title", f"intitulé de la PEC (« {pec.title} ») trop éloigné de celui du "
                            f"programme (« {session.title} »)")


def amount_within_price(pec: PecFacts, session: SessionFacts) -> Problem | None:
    if pec.amount_granted_ht <= session.price_ht:
        return None
    return Problem("amount", f"montant accordé ({format_eur(pec.amount_granted_ht)} HT) "
                             f"supérieur au prix de la session ({format_eur(session.price_ht)} HT)")


def subrogation_matches_funding(pec: PecFacts, session: SessionFacts) -> Problem | None:
    expected = {FUNDING_WITH_SUBROGATION: True, FUNDING_WITH_REIMBURSEMENT: False}
    if session.funding not in expected:
        return Problem("funding", "session financée par l'entreprise : aucune PEC n'est attendue")
    if pec.subrogation == expected[session.funding]:
        return None
    said = "avec" if pec.subrogation else "sans"
    return Problem("subrogation", f"PEC {said} subrogation, alors que la session est en "
                                  f"« {session.funding} »")


def received_before_the_start(pec: PecFacts, session: SessionFacts) -> Problem | None:
    if pec.received_on <= session.start_date:
        return None
    return Problem("late", f"PEC reçue le {format_date_fr(pec.received_on)}, après le début de "
                           f"la session ({format_date_fr(session.start_date)}) : l'OPCO peut "
                           "refuser de payer")


def session_is_live(pec: PecFacts, session: SessionFacts) -> Problem | None:
    if session.cancelled:
        return Problem("session", "la session est annulée")
    if not session.validated:
        return Problem("session", "la session n'est pas encore validée par le formateur")
    return None


RULES: tuple[Rule, ...] = (
    session_is_live, opco_is_the_clients, client_siret, dates_cover_the_session,
    hours_cover_the_convention, trainees_match, title_is_close, amount_within_price,
    subrogation_matches_funding, received_before_the_start,
)


def check_pec(pec: PecFacts, session: SessionFacts) -> list[Problem]:
    """Every problem of the PEC for that session, in rule order; empty means the green light."""
    return [problem for rule in RULES if (problem := rule(pec, session)) is not None]


def reste_a_charge(pec: PecFacts, session: SessionFacts) -> Decimal:
    """What the company pays itself: the price minus what the OPCO granted (never below zero)."""
    return quantize(max(session.price_ht - pec.amount_granted_ht, ZERO))
