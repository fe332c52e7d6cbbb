"""The legal documents a session gets, in one registry (issue #15): adding a document is one
entry here plus its template.

A document (`DocumentKind`) has one name: the prefix of its files
(`emargement-<session>-v<n>.pdf`, `convocation-<trainee>-<session>-v<n>.pdf`), the name stored
for each file (`emargement`, `convocation-<trainee>`) and its template
(`templates/documents/<name>.html.j2`). There is one per session, or one per trainee; and it
says what it proves to an auditor (the audit pack's manifest, in French).

A document set (`DocumentSetKind`) is what is produced, versioned and sent together: its kind
as stored (`bundle`, `start_kit`, `certificates`), the milestone from which it is due, its
documents in order, whether they are also zipped in one `dossier-<session>-v<n>.zip`, and its
e-mails: outbox key prefix, recipients by role, template (`templates/emails/<name>.txt.j2`) and
the documents attached; an e-mail is one per session, or one per trainee (the convocations: to
the trainee, or to the client contact when the export has no address for them). A new set also
names what its versions compare (`backoffice/documents.py: INPUTS`).

Every name here is stored (file names, set kinds, outbox keys): renaming one makes existing
databases see a new document, or send an e-mail again. A key no longer recorded stays reserved
(`RETIRED_EMAIL_KEYS`): what is stored under it keeps its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DOSSIER = "dossier"  # a zipped set's archive: its stored name and file prefix


class Milestone(StrEnum):
    """From when a set is due (backoffice/documents.py says which ones a session reached)."""

    validated = "validated"  # the trainer validated the session, not cancelled
    ready_to_start = "ready_to_start"  # green light, company funding or day-1 company billing
    completed = "completed"  # the trainer declared its end


class Recipient(StrEnum):
    client = "client"  # the client company's contact
    trainer = "trainer"  # the session's trainer
    # the trainee an e-mail is for (a per-trainee e-mail): their address from the export, or,
    # when it has none, the client contact's, who hands the documents over
    trainee = "trainee"


@dataclass(frozen=True, slots=True)
class DocumentKind:
    name: str  # file prefix, stored name and template name
    per_trainee: bool  # one per trainee (`<name>-<trainee>`), else one per session
    proves: str  # what it proves to an auditor (French)
    # one per trainee with realised hours only: a certificate "pour une durée de 0 h" certifies
    # nothing (backoffice/documents.py: certified_trainees)
    realised_only: bool = False

    @property
    def template(self) -> str:
        """templates/documents/<template>.html.j2"""
        return self.name

    def file_name(self, trainee_ref: str | None = None) -> str:
        """The stored name of one of its files: `emargement`, `convocation-T-1`."""
        return f"{self.name}-{trainee_ref}" if self.per_trainee else self.name

    def owns(self, file_name: str) -> bool:
        """Whether a stored file name is one of this document's."""
        return file_name.startswith(f"{self.name}-") if self.per_trainee else \
            file_name == self.name


@dataclass(frozen=True, slots=True)
class DocumentEmail:
    key: str  # outbox key prefix: "email:bundle" → "email:bundle:<session>:v<n>"
    template: str  # templates/emails/<template>.txt.j2
    to: tuple[Recipient, ...]
    cc: tuple[Recipient, ...] = ()
    attached: tuple[DocumentKind, ...] = ()  # their PDFs, in the set's order
    # one e-mail per trainee ("email:convocation:<session>:<trainee>:v<n>"): of the per-trainee
    # documents attached, that trainee's only
    per_trainee: bool = False
    # documents of an earlier set, their latest version attached after the set's own (the
    # programme annexed to the convention goes with each convocation)
    latest_of: tuple[DocumentKind, ...] = ()

    def key_for(self, session_ref: str, version: int, trainee_ref: str | None = None) -> str:
        if self.per_trainee:
            return f"{self.key}:{session_ref}:{trainee_ref}:v{version}"
        return f"{self.key}:{session_ref}:v{version}"

    def attaches(self, file_name: str, trainee_ref: str | None = None) -> bool:
        """Whether a file of the set goes with the e-mail (for `trainee_ref`'s, if per trainee)."""
        if self.per_trainee and trainee_ref is not None:
            return any(file_name == document.file_name(trainee_ref) if document.per_trainee
                       else document.owns(file_name) for document in self.attached)
        return any(document.owns(file_name) for document in self.attached)


@dataclass(frozen=True, slots=True)
class DocumentSetKind:
    kind: str  # as stored: DocumentSet.kind, DocumentFile.kind, the set's folder
    due_from: Milestone
    documents: tuple[DocumentKind, ...]  # in the order they are rendered, stored and attached
    emails: tuple[DocumentEmail, ...]  # in the order they are recorded
    zipped: bool = False  # its PDFs also in one zip, `dossier-<session>-v<n>.zip`
    # issued before the session starts, never after (a convention or a convocation dated after
    # the start tells an auditor a lie): once it started, a due version is reported for review
    before_start: bool = False
    # made from the platform's attendance evidence: due only for a session that sends some
    needs_evidence: bool = False


# --- the documents ------------------------------------------------------------------------------

CONVENTION = DocumentKind("convention", per_trainee=False,
                          proves="la convention de formation signée avec l'entreprise")
PROGRAMME = DocumentKind("programme", per_trainee=False,
                         proves="le programme de la formation (objectifs, contenu, modalités)")
DEVIS = DocumentKind("devis", per_trainee=False, proves="le devis et le financement prévu")
CONVOCATION = DocumentKind("convocation", per_trainee=True, proves="la convocation du stagiaire")
REGLEMENT = DocumentKind("reglement-interieur", per_trainee=False,
                         proves="le règlement intérieur remis à chaque stagiaire avec sa "
                                "convocation (L6353-8, R6352-1 et suivants)")
EMARGEMENT = DocumentKind("emargement", per_trainee=False,
                          proves="les feuilles d'émargement par demi-journée")
EMARGEMENT_SIGNE = DocumentKind("emargement-signe", per_trainee=False,
                                proves="les feuilles d'émargement complétées : signatures du "
                                       "stagiaire et du formateur par demi-journée, avec leurs "
                                       "heures, et connexions à distance")
CERTIFICAT = DocumentKind("certificat", per_trainee=True, realised_only=True,
                          proves="le certificat de réalisation du stagiaire")

# --- the sets, in process order -----------------------------------------------------------------

BUNDLE = DocumentSetKind(  # the individual training file
    "bundle", Milestone.validated, (CONVENTION, PROGRAMME, DEVIS), zipped=True,
    before_start=True, emails=(
        # the client's alone: the convention and the devis carry the client's price, which the
        # trainer never sees (their notice says dates, place, trainees and what to do)
        DocumentEmail("email:bundle", "documents_bundle_client", to=(Recipient.client,),
                      attached=(CONVENTION, PROGRAMME, DEVIS)),
        DocumentEmail("email:bundle-notice", "documents_bundle_trainer",
                      to=(Recipient.trainer,)),
    ))
START_KIT = DocumentSetKind(
    "start_kit", Milestone.ready_to_start, (CONVOCATION, REGLEMENT, EMARGEMENT),
    before_start=True, emails=(
        # each trainee's: their convocation, the programme and the règlement intérieur (L6353-8)
        DocumentEmail("email:convocation", "convocation_trainee", to=(Recipient.trainee,),
                      attached=(CONVOCATION, REGLEMENT), per_trainee=True,
                      latest_of=(PROGRAMME,)),
        DocumentEmail("email:attendance-sheets", "attendance_sheets_trainer",
                      to=(Recipient.trainer,), attached=(EMARGEMENT,)),
    ))
CERTIFICATES = DocumentSetKind(
    "certificates", Milestone.completed, (CERTIFICAT,), emails=(
        DocumentEmail("email:certificates", "certificates_client", to=(Recipient.client,),
                      cc=(Recipient.trainer,), attached=(CERTIFICAT,)),
    ))

ATTENDANCE = DocumentSetKind(  # the completed sheets, from the evidence; kept, not mailed
    "attendance", Milestone.completed, (EMARGEMENT_SIGNE,), emails=(), needs_evidence=True)

DOCUMENT_SETS = (BUNDLE, START_KIT, ATTENDANCE, CERTIFICATES)

# outbox key prefixes no longer recorded, kept out of any new e-mail's key: what is stored under
# them keeps its meaning. "email:convocations:<session>:v<n>": until issue #17, every trainee's
# convocation to the client contact, the trainer in copy (one per start kit version).
RETIRED_EMAIL_KEYS = ("email:convocations",)
SETS = {document_set.kind: document_set for document_set in DOCUMENT_SETS}
DOCUMENTS = tuple(document for document_set in DOCUMENT_SETS for document in document_set.documents)


def document_named(file_name: str) -> DocumentKind | None:
    """The document a stored file name is one of (`convocation-T-1` → CONVOCATION), or None."""
    return next((document for document in DOCUMENTS if document.owns(file_name)), None)
