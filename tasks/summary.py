"""Run summaries for the Prefect UI: one markdown artifact and one table artifact per run.

What is published is masked (backoffice/masking.py): no IBAN or e-mail address in clear in the UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from adapters.bank_import import FileImport
from adapters.documents import DocumentsReport
from adapters.funding import FundingReport
from adapters.ingest import IngestResult
from adapters.invoices import InvoicingReport
from adapters.payments import MatchingReport
from backoffice.masking import mask_text, mask_value

LISTED = 100  # items listed one by one in a summary's text; its tables hold every one


@dataclass(slots=True)
class RunSummary:
    """What a run did, for the operator who opens it in the UI (French, like the UI's users)."""

    title: str
    lines: list[str] = field(default_factory=list)
    needs_human: list[str] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_markdown(self) -> str:
        parts = [f"# {self.title}", "", *[f"- {line}" for line in self.lines]]
        parts += ["", "## À traiter par un opérateur", ""]
        parts += [f"- {item}" for item in self.needs_human] or ["- Rien."]
        return "\n".join(parts) + "\n"


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
        if outcome.status == "rejected":
            summary.needs_human.append(
                f"`{outcome.name}` rejeté en entier ({len(outcome.errors)} erreur(s)), rien "
                "n'en a été appliqué ; corriger l'export puis relancer l'ingestion :")
            summary.needs_human += [f"  - {error}" for error in outcome.errors[:LISTED]]
            if len(outcome.errors) > LISTED:
                summary.needs_human.append(f"  - … et {len(outcome.errors) - LISTED} autres")


def add_funding(summary: RunSummary, report: FundingReport) -> None:
    """The PEC part: green lights, discrepancies, reminders, switches, unknown OPCOs."""
    summary.lines.append(
        f"PEC : {len(report.green_lights)} feu(x) vert(s), {len(report.discrepancies)} PEC à "
        f"revoir, {len(report.superseded)} remplacée(s), {len(report.reminders)} relance(s), "
        f"{len(report.switches)} bascule(s) en facturation entreprise, "
        f"{report.estimates} estimation(s) de financement mise(s) à jour")
    events = summary.tables.setdefault("pecs", [])
    for light in report.green_lights:
        events.append({"événement": "feu vert", "session": light["session_ref"],
                       "PEC": light["pec_ref"], "détail": f"{light['opco']} {light['dossier']}"})
    for item in report.discrepancies:
        events.append({"événement": "PEC à revoir", "session": item["session_ref"],
                       "PEC": item["pec_ref"], "détail": item["raisons"]})
        proposed = f" (session proposée : {item['proposées']})" if item["proposées"] else ""
        summary.needs_human.append(
            f"PEC {item['pec_ref']} : {item['raisons']}{proposed} → flow `resolve-pec` "
            "(accepter ou rejeter, avec une note)")
    for reminder in report.reminders:
        events.append({"événement": f"relance {reminder['relance']}",
                       "session": reminder["session_ref"], "PEC": "",
                       "détail": f"début le {reminder['début']}"})
    for switch in report.switches:
        events.append({"événement": "facturation entreprise", "session": switch["session_ref"],
                       "PEC": "", "détail": f"pas de PEC validée le {switch['début']}"})
    for unknown in report.unknown_opcos:
        summary.needs_human.append(f"Client {unknown['client_ref']} ({unknown['client']}) : "
                                   f"{unknown['raison']} → renseigner l'OPCO ou l'IDCC")


def add_documents(summary: RunSummary, report: DocumentsReport, output_dir: object) -> None:
    """The documents part: sets produced (first or new versions), sessions blocked."""
    new = sum(1 for p in report.produced if p["version"] == 1)
    summary.lines.append(
        f"Documents : {len(report.produced)} jeu(x) produit(s) dont {new} première(s) "
        f"version(s), {len(report.blocked)} session(s) bloquée(s) ; fichiers dans "
        f"`{output_dir}/documents`")
    table = summary.tables.setdefault("documents", [])
    for item in report.produced:
        table.append({"session": item["session_ref"], "documents": item["documents"],
                      "version": item["version"], "changement": item["changement"]})
    for item in report.blocked:
        summary.needs_human.append(f"Session {item['session_ref']} : documents légaux "
                                   f"impossibles, il manque {item['manque']} → compléter "
                                   "l'export plateforme")


def add_invoicing(summary: RunSummary, report: InvoicingReport, output_dir: object) -> None:
    summary.lines.append(
        f"Factures : {len(report.issued)} émise(s), {len(report.sent)} envoyée(s), "
        f"{len(report.reminders)} relance(s) ; PDF dans `{output_dir}/invoices`")
    summary.tables.setdefault("invoices", []).extend(report.issued)
    summary.needs_human += report.problems


def add_payments(summary: RunSummary, files: list[FileImport], matching: MatchingReport) -> None:
    new = sum(f.new_lines for f in files)
    summary.lines.append(
        f"Relevés : {len(files)} fichier(s), {new} ligne(s) nouvelle(s), "
        f"{sum(f.status == 'rejected' for f in files)} rejeté(s) ; paiements : "
        f"{len(matching.applied)} appliqué(s), {len(matching.review)} à revoir")
    for outcome in files:
        if outcome.status == "rejected":
            summary.needs_human.append(f"Relevé `{outcome.name}` rejeté en entier : "
                                       + " ; ".join(outcome.errors[:5]))
        if outcome.duplicates_flagged:
            summary.needs_human.append(f"Relevé `{outcome.name}` : {outcome.duplicates_flagged} "
                                       "ligne(s) déjà vue(s) dans un autre format, signalée(s)")
    table = summary.tables.setdefault("payments", [])
    table += [{"état": "appliqué", **item} for item in matching.applied]
    table += [{"état": "à revoir", **item} for item in matching.review]
    for item in matching.review[:LISTED]:
        summary.needs_human.append(f"Paiement ligne {item['ligne']} : {item['raison']} "
                                   f"(proposé : {item['factures'] or 'rien'}) → flow "
                                   "`decide-payment`")
    if len(matching.review) > LISTED:  # a backfill of a year of statements: the table has them all
        summary.needs_human.append(f"… et {len(matching.review) - LISTED} autres paiements à revoir "
                                   "(table « payments » de ce rapport)")


def masked_tables(summary: RunSummary) -> dict[str, list[dict[str, Any]]]:
    """The summary's non-empty tables as published: every cell masked, column names as they are."""
    return {name: [mask_value(row) for row in rows] for name, rows in summary.tables.items() if rows}


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
