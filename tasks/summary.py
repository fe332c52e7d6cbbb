"""Run summaries for the Prefect UI: one markdown artifact and one table artifact per run.

Its "À traiter par un opérateur" part holds, in this order: the run's incidents (what it could
not do: a rejected file, an e-mail in failure, an invoice held; each also e-mailed to the
operators once, tasks/alerts.py), the run's other notes, and the whole open review queue, the
items opened today first. It says "Rien." only when all three are empty. A run with incidents
ends in the state « Incomplet » (`finish_run`).

What is published is masked (backoffice/masking.py): no IBAN or e-mail address in clear in the UI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, overload

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, State

from adapters.files import RefusedFile
from adapters.outbox import OutboxReport
from backoffice.dates import format_date_fr
from backoffice.incidents import INCOMPLETE, Incident, email_failed, file_rejected
from backoffice.masking import mask_text, mask_value
from backoffice.money import format_eur
from backoffice.outcomes import (
    InvoiceHeld,
    ReceivablesAged,
    StatementImported,
    TrainerInvoiceNearPaymentCap,
)
from services.documents import DocumentsReport
from services.funding import FundingReport
from services.ingest import IngestResult
from services.invoicing import InvoicingReport
from services.payments import MatchingReport
from services.payouts import PayoutReport
from tasks.alerts import alert_operators
from tasks.outcome_text import chase_text, row
from tasks.review import review_queue

LISTED = 100  # items listed one by one in a summary's text; its tables hold every one


class ReviewQueue(Sequence[dict[str, str]]):
    """The open review queue as a run read it: a Sequence that is not a list, on purpose.

    Prefect walks every list, dict and dataclass that a task receives or a flow returns, item by
    item, looking for futures: a summary carrying 18,000 open items (216,000 visits) cost 3 to 4
    seconds of a 13-second night that way (issue 20). It does not walk other objects: the queue
    goes through whole."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[dict[str, str]] = ()) -> None:
        self._items = list(items)

    @overload
    def __getitem__(self, index: int) -> dict[str, str]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, str]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, str] | list[dict[str, str]]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return f"ReviewQueue({len(self._items)} items)"


@dataclass(slots=True)
class RunSummary:
    """What a run did, for the operator who opens it in the UI (French, like the UI's users)."""

    title: str
    lines: list[str] = field(default_factory=list)
    needs_human: list[str] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    incidents: list[Incident] = field(default_factory=list)
    review: ReviewQueue = field(default_factory=ReviewQueue)  # the open queue, today's first
    incomplete: list[str] = field(default_factory=list)  # runs it started that were incomplete
    today: str = ""  # the run's Paris date (ISO), which tells today's review items

    def to_markdown(self) -> str:
        parts = [f"# {self.title}", "", *[f"- {line}" for line in self.lines]]
        parts += ["", "## À traiter par un opérateur", ""]
        todo = [f"- **{incident.title}** : {incident.detail}\n  → {incident.action}"
                for incident in self.incidents]
        todo += [f"- {item} (voir le résumé de ce run)" for item in self.incomplete]
        todo += [f"- {item}" for item in self.needs_human]
        todo += self._review_lines()
        parts += todo or ["- Rien."]
        return "\n".join(parts) + "\n"

    def _review_lines(self) -> list[str]:
        if not self.review:
            return []
        new = sum(item["depuis"] == self.today for item in self.review)
        lines = [f"- File de revue : {len(self.review)} élément(s) ouvert(s), dont {new} "
                 "ouvert(s) aujourd'hui (table « review-queue ») :"]
        lines += [f"  - {'[aujourd’hui] ' if item['depuis'] == self.today else ''}"
                  f"{item['objet']} : {item['raisons']} → {item['que faire']}"
                  for item in self.review[:LISTED]]
        if len(self.review) > LISTED:
            lines.append(f"  - … et {len(self.review) - LISTED} autres")
        return lines


def add_ingest(summary: RunSummary, result: IngestResult) -> None:
    """The ingest part of a summary: one table row per file, every error in the human list."""
    accepted = [o for o in result.files if o.status == "accepted"]
    summary.lines.append(
        f"Export plateforme `{result.folder}` : {len(accepted)} fichier(s) accepté(s), "
        f"{len(result.rejected)} rejeté(s), {result.changed} ligne(s) créée(s) ou modifiée(s)")
    for outcome in result.files:
        if outcome.status == "absent":
            continue
        summary.tables.setdefault("files", []).append({
            "fichier": outcome.name, "statut": outcome.status, "lignes": outcome.rows,
            "créées": outcome.inserted, "modifiées": outcome.updated,
            "inchangées": outcome.unchanged, "erreurs": len(outcome.errors),
        })


    if result.rejected:  # one event: the files that depend on a rejected one are rejected too
        summary.incidents.append(file_rejected(
            "export", ", ".join(result.rejected), [str(error) for error in result.errors],
            "corriger l'export dans la plateforme ; le traitement suivant le reprend"))


def add_funding(summary: RunSummary, report: FundingReport) -> None:
    """The PEC part: green lights, discrepancies, reminders, switches, unknown OPCOs."""
    summary.lines.append(
        f"PEC : {len(report.green_lights)} feu(x) vert(s), {len(report.discrepancies)} PEC à "
        f"revoir, {len(report.superseded)} remplacée(s), {len(report.reminders)} relance(s), "
        f"{len(report.switches)} bascule(s) en facturation entreprise, "
        f"{report.estimates} estimation(s) de financement mise(s) à jour")
    summary.tables.setdefault("pecs", []).extend(row(outcome) for outcome in [
        *report.green_lights, *report.discrepancies,  # a discrepancy is also a review item
        *report.reminders, *report.switches, *report.unknown_opcos])  # and so is an unknown OPCO
    summary.needs_human += [
        f"Critères de financement {c.opco} « {c.scope} » valables jusqu'au "
        f"{format_date_fr(c.valid_to)} : vérifier la publication de l'OPCO et ajouter les "
        "suivants à data/funding_criteria.csv" for c in report.expiring_criteria]


def add_documents(summary: RunSummary, report: DocumentsReport, output_dir: object) -> None:
    """The documents part: sets produced (first or new versions), sessions blocked."""
    new = sum(1 for produced in report.produced if produced.version == 1)
    summary.lines.append(
        f"Documents : {len(report.produced)} jeu(x) produit(s) dont {new} première(s) "
        f"version(s), {len(report.blocked)} session(s) bloquée(s) ; fichiers dans "
        f"`{output_dir}/documents`")
    summary.tables.setdefault("documents", []).extend(map(row, report.produced))
    # a blocked session is a review item (« documents »): listed with the review queue


def add_invoicing(summary: RunSummary, report: InvoicingReport, output_dir: object) -> None:
    summary.lines.append(
        f"Factures : {len(report.issued)} émise(s), {len(report.held)} en attente de "
        f"l'identité du payeur, {len(report.sent)} envoyée(s) par e-mail, "
        f"{len(report.deposits)} à déposer sur le portail du financeur (dossiers dans "
        f"`{output_dir}/deposits`), {len(report.reminders)} relance(s) ; PDF dans "
        f"`{output_dir}/invoices`")
    summary.tables.setdefault("invoices", []).extend(map(row, report.issued))
    # a held invoice is a review item: an incident (told to the operators) the first time only
    summary.incidents += [invoice_held(held) for held in report.held if held.first_time]


def add_payments(summary: RunSummary, files: list[StatementImported], matching: MatchingReport) -> None:
    new = sum(f.new_lines for f in files)
    summary.lines.append(
        f"Relevés : {len(files)} fichier(s), {new} ligne(s) nouvelle(s), "
        f"{sum(f.status == 'rejected' for f in files)} rejeté(s) ; paiements : "
        f"{len(matching.applied)} appliqué(s), {len(matching.review)} à revoir")
    for outcome in files:
        if outcome.status == "rejected":
            summary.incidents.append(file_rejected(
                "statement", outcome.name, outcome.errors,
                "le fichier est dans le dossier bank-rejected avec son rapport d'erreurs ; "
                "demander à la banque un export lisible, ou le corriger, puis le redéposer"))
        if outcome.held:
            summary.needs_human.append(f"Relevé `{outcome.name}` d'un compte inconnu : importé, "
                                       "non rapproché des factures (file de revue)")
        summary.needs_human += [f"Relevé `{outcome.name}` importé, soldes incohérents : {gap}"
                                for gap in outcome.balance_gaps]
        if outcome.duplicates_flagged:
            summary.needs_human.append(f"Relevé `{outcome.name}` : {outcome.duplicates_flagged} "
                                       "ligne(s) déjà vue(s) dans un autre format, signalée(s)")
    summary.needs_human += [f"Paiement contre-passé (ligne {outcome.line_id}) : {outcome.reason}"
                            for outcome in matching.reversed]
    summary.tables.setdefault("payments", []).extend(  # one to review is also a review item
        row(outcome) for outcome in [*matching.applied, *matching.review, *matching.reversed])


def add_payouts(summary: RunSummary, report: PayoutReport, output_dir: Path) -> None:
    """The payouts part: what was decided, the SEPA files to take to the bank, and each trainer
    invoice awaited (a payout to review and a returned transfer are review items)."""
    summary.lines.append(
        f"Virements formateurs : {len(report.scheduled)} décidé(s), "
        f"{len(report.batches)} fichier(s) SEPA, {len(report.executed)} exécuté(s), "
        f"{len(report.failed)} revenu(s), {len(report.waiting)} en attente, "
        f"{len(report.review)} à revoir")
    summary.lines += [f"Fichier SEPA à déposer à la banque : `{output_dir / batch.path}` "
                      f"({batch.transfers} virements, {batch.total} €, exécution le "
                      f"{batch.execution_date.isoformat()})" for batch in report.batches]
    summary.tables.setdefault("payouts", []).extend(row(outcome) for outcome in [
        *report.scheduled, *report.executed, *report.failed, *report.review])
    summary.needs_human += [f"Session {waiting.session_ref} : financeurs payés, "
                            f"{waiting.reasons} (la demander au formateur)"
                            for waiting in report.awaiting_trainer_invoice]
    summary.needs_human += [f"Session {warning.session_ref} : {warning.warning}"
                            for warning in report.warnings]
    summary.needs_human += [_payment_cap(late) for late in report.near_payment_cap]


def _payment_cap(late: TrainerInvoiceNearPaymentCap) -> str:
    where = (f"Facture formateur {late.number} ({late.trainer_ref}, session {late.session_ref}) "
             f"reçue le {format_date_fr(late.received_on)}, non payée : ")
    if late.days_left >= 0:
        return where + (f"plus que {late.days_left} jour(s) avant le délai légal de paiement "
                        "de 60 jours (L441-10 du Code de commerce)")
    return where + (f"délai légal de paiement de 60 jours (L441-10 du Code de commerce) "
                    f"dépassé de {-late.days_left} jour(s)")


def add_receivables(summary: RunSummary, aged: ReceivablesAged) -> None:
    """The aged receivables: one line (what is owed, what of it is overdue), one table row per
    funder by age with the OPCOs' DSO (table « receivables »), and what to chase first: the
    largest overdue amounts, oldest first (services/receivables.py: `age_receivables`)."""
    summary.lines.append(
        f"Créances au {format_date_fr(aged.as_of)} : {format_eur(aged.open)} dus par "
        f"{len(aged.balances)} financeur(s), dont {format_eur(aged.overdue)} échus "
        f"(table « receivables », et `receivables.csv` du rapport)")
    summary.tables.setdefault("receivables", []).extend(map(row, aged.balances))
    summary.needs_human += [chase_text(invoice) for invoice in aged.to_chase]


def add_refused_files(summary: RunSummary, refused: tuple[RefusedFile, ...]) -> None:
    """Inbox entries never read (a link leading out of the inbox, not a file): incidents."""
    summary.incidents += [file_rejected(
        "inbox", entry.name, [entry.reason],
        "retirer ou remplacer cette entrée de la boîte de dépôt par le fichier lui-même")
        for entry in refused]


def add_mail(summary: RunSummary, mail: OutboxReport) -> None:
    """The e-mails sent by the run; each one in failure is an incident."""
    summary.lines.append(f"E-mails envoyés : {mail.performed}, en échec : {mail.failed}")
    summary.incidents += [email_failed(failure.key, failure.error, failure.final)
                          for failure in mail.failures]


def invoice_held(held: InvoiceHeld) -> Incident:
    """An invoice due that was not issued: its buyer's identity is incomplete."""
    detail = (f"identité du payeur incomplète, il manque : {', '.join(held.missing)} ; la "
              "facture attend dans la file de revue, sans numéro")
    return Incident(f"invoice-held:{held.session_ref}:{held.part}",
                    f"Facture de la session {held.session_ref} à {held.payer} non émise", detail,
                    "compléter l'identité du payeur (OPCO : data/opcos.csv ; client : la "
                    "plateforme) ; le traitement suivant émet la facture")


def masked_tables(summary: RunSummary) -> dict[str, list[dict[str, Any]]]:
    """The summary's non-empty tables as published, the open review queue last ("review-queue"):
    every cell masked, column names as they are."""
    tables: dict[str, Sequence[dict[str, Any]]] = {**summary.tables, "review-queue": summary.review}
    return {name: [mask_value(row) for row in rows] for name, rows in tables.items() if rows}


def finish_run(key: str, summary: RunSummary, today: date, result: Any) -> State:
    """The end of every flow that has a summary: the open review queue added, the operators told
    of the run's incidents (once per event), the artifacts published, and the run's final state:
    Completed, or « Incomplet » (a Completed state: the run did all it could, a backfill goes on)
    when something could not be done (`incomplete`: runs it started that were, and told the
    operators themselves). The flow returns it; its caller gets `result`."""
    summary.today = today.isoformat()
    summary.review = ReviewQueue(review_queue(today))
    if summary.incidents:
        alert_operators(summary.incidents, summary.title)
    publish_summary(key, summary)
    problems = [incident.title for incident in summary.incidents] + summary.incomplete
    if not problems:
        return Completed(data=result)
    return Completed(data=result, name=INCOMPLETE, message=mask_text(
        f"{len(problems)} point(s) à traiter : " + " ; ".join(problems[:5])))


@task(cache_policy=NO_CACHE)
def publish_summary(key: str, summary: RunSummary) -> str:
    """Publish the summary as artifacts named `key` (lowercase letters, digits and dashes),
    IBANs and e-mail addresses masked; return the published markdown."""
    markdown = mask_text(summary.to_markdown())
    description = mask_text(summary.title)
    create_markdown_artifact(key=key, markdown=markdown, description=description)
    for name, rows in masked_tables(summary).items():
        create_table_artifact(key=f"{key}-{name}", table=rows, description=description)
    return markdown
