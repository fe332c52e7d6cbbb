"""The document registry (backoffice/document_kinds.py): each entry is complete and the names it
stores cannot be confused; when each set is due."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest

from backoffice.document_kinds import (
    BUNDLE,
    CERTIFICAT,
    CONVOCATION,
    DOCUMENT_SETS,
    DOCUMENTS,
    DOSSIER,
    EMARGEMENT,
    PROGRAMME,
    REGLEMENT,
    RETIRED_EMAIL_KEYS,
    SETS,
    START_KIT,
    DocumentKind,
    Recipient,
    document_named,
)
from backoffice.documents import (
    INPUTS,
    Presence,
    SessionDocumentFacts,
    SlotFacts,
    TraineeFacts,
    due_kinds,
)
from backoffice.funding_status import FundingStatus

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_document_has_its_template():
    missing = [d.template for d in DOCUMENTS
               if not (TEMPLATES / "documents" / f"{d.template}.html.j2").is_file()]
    assert missing == []


def test_every_email_has_its_template():
    missing = [e.template for s in DOCUMENT_SETS for e in s.emails
               if not (TEMPLATES / "emails" / f"{e.template}.txt.j2").is_file()]
    assert missing == []


def test_names_and_keys_are_unique():
    names = [d.name for d in DOCUMENTS]
    assert len(names) == len(set(names)) and DOSSIER not in names
    kinds = [s.kind for s in DOCUMENT_SETS]
    assert len(kinds) == len(set(kinds)) and set(SETS) == set(kinds)
    keys = [e.key for s in DOCUMENT_SETS for e in s.emails]
    assert len(keys) == len(set(keys))


def test_no_outbox_key_prefix_is_another_ones_with_a_suffix():
    # "email:bundle:S-1:v1" must never be read as the key of a set named "email:bundle:S"…
    keys = [e.key for s in DOCUMENT_SETS for e in s.emails]
    assert [(a, b) for a in keys for b in keys if a != b and b.startswith(f"{a}:")] == []


def ambiguous(documents: list[DocumentKind]) -> dict[str, list[str]]:
    """Stored file names (trainee refs with hyphens too) not owned by exactly one document."""
    samples = [d.file_name(ref) for d in documents for ref in ("T-1", "T-2-b")]
    owners = {name: [d.name for d in documents if d.owns(name)] for name in samples}
    return {name: found for name, found in owners.items() if len(found) != 1}


def test_a_stored_file_name_belongs_to_one_document_only():
    assert ambiguous(list(DOCUMENTS)) == {}
    assert document_named(DOSSIER) is None  # the zip: not a document of its own
    assert document_named("convocation-T-2-b") is CONVOCATION
    assert document_named("emargement") is EMARGEMENT
    assert document_named("emargement-T-1") is None and document_named("convocation") is None
    # what the rule catches: a per-trainee name that is the start of another document's
    final = DocumentKind("certificat-final", per_trainee=False, proves="…")
    assert ambiguous([CERTIFICAT, final]) == {"certificat-final": ["certificat", "certificat-final"]}


def test_every_document_says_what_it_proves_and_belongs_to_one_set():
    assert [d.name for d in DOCUMENTS if len(d.proves) < 10] == []
    for document_set in DOCUMENT_SETS:
        for email in document_set.emails:
            assert set(email.attached) <= set(document_set.documents), email.key
            assert email.to, email.key


def test_retired_keys_are_never_recorded_again():
    """What an existing database holds under a retired key keeps its meaning: no new e-mail's
    key is one, starts with one, or is the start of one."""
    keys = [e.key for s in DOCUMENT_SETS for e in s.emails]
    clashes = [(k, r) for k in keys for r in RETIRED_EMAIL_KEYS
               if k == r or k.startswith(f"{r}:") or r.startswith(f"{k}:")]
    assert clashes == []


def test_each_trainee_gets_their_own_convocation_email():
    convocation = next(e for e in START_KIT.emails if e.per_trainee)
    assert convocation.to == (Recipient.trainee,) and Recipient.trainer not in convocation.cc
    assert convocation.key_for("S-1", 2, "T-2-b") == "email:convocation:S-1:T-2-b:v2"
    # that trainee's convocation, not another's; the set's per-session documents
    assert convocation.attaches("convocation-T-2-b", "T-2-b")
    assert not convocation.attaches("convocation-T-2", "T-2-b")
    assert not convocation.attaches("convocation-T-2-b", "T-2")
    assert convocation.attaches(REGLEMENT.file_name(), "T-1")
    assert not convocation.attaches(EMARGEMENT.file_name(), "T-1")
    # the programme: the latest of the bundle, a set due no later than the start kit
    assert convocation.latest_of == (PROGRAMME,) and PROGRAMME in BUNDLE.documents
    assert Recipient.trainee not in [r for s in DOCUMENT_SETS for e in s.emails
                                     if not e.per_trainee for r in e.to + e.cc]


def test_every_set_names_what_its_versions_compare():
    assert set(INPUTS) == set(SETS)


FACTS = SessionDocumentFacts(
    session_ref="S-1", title="Excel", objectives=("o",), content=("c",), prerequisites="",
    audience="", methods="", evaluation="", accessibility="", hours_per_trainee=Decimal(7),
    start_date=date(2026, 12, 7), end_date=date(2026, 12, 7), modality="presentiel",
    location=None, price_ht=Decimal(700), funding="opco_subrogation",
    trainees=(TraineeFacts("T-1", "Ana", "Silva"),),
    slots=(SlotFacts(date(2026, 12, 7), time(9), time(12, 30)),), trainer_name="É. M.",
    client_name="C", client_siret="", client_address="", opco="ATLAS", validated=True,
    cancelled=False, funding_status=FundingStatus.awaiting_pec)
DONE = datetime(2026, 12, 7, 18, tzinfo=UTC)


@pytest.mark.parametrize(("changes", "due"), [
    ({"validated": False}, []),
    ({}, ["bundle"]),
    ({"funding_status": FundingStatus.pec_review}, ["bundle"]),
    ({"funding_status": FundingStatus.funded}, ["bundle", "start_kit"]),
    ({"funding_status": "company"}, ["bundle", "start_kit"]),
    ({"funding_status": FundingStatus.company_billing, "completed_at": DONE,
      "presences": (Presence("T-1", date(2026, 12, 7), "am", True),)},
     ["bundle", "start_kit", "certificates"]),
    ({"funding_status": FundingStatus.company_billing, "completed_at": DONE},  # nobody attended
     ["bundle", "start_kit"]),
    ({"funding_status": FundingStatus.awaiting_pec, "completed_at": DONE}, ["bundle"]),
    ({"funding_status": FundingStatus.funded, "completed_at": DONE, "cancelled": True}, []),
])
def test_the_sets_due_follow_the_session_milestones(changes, due):
    assert due_kinds(replace(FACTS, **changes)) == due
