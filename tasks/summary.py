"""Run summaries for the Prefect UI: one markdown artifact and one table artifact per run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from adapters.ingest import IngestResult


@dataclass(slots=True)
class RunSummary:
    """What a run did, for the operator who opens it in the UI (French, like the UI's users)."""

    title: str
    lines: list[str] = field(default_factory=list)
    needs_human: list[str] = field(default_factory=list)
    table: list[dict[str, Any]] = field(default_factory=list)

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
        summary.table.append({
            "fichier": outcome.name, "statut": outcome.status, "lignes": outcome.rows,
            "créées": outcome.inserted, "modifiées": outcome.updated,
            "inchangées": outcome.unchanged, "erreurs": len(outcome.errors),
        })
        if outcome.status == "rejected":
            summary.needs_human.append(
                f"`{outcome.name}` rejeté en entier ({len(outcome.errors)} erreur(s)), rien "
                "n'en a été appliqué ; corriger l'export puis relancer l'ingestion :")
            summary.needs_human += [f"  - {error}" for error in outcome.errors[:100]]
            if len(outcome.errors) > 100:
                summary.needs_human.append(f"  - … et {len(outcome.errors) - 100} autres")


@task(cache_policy=NO_CACHE)
def publish_summary(key: str, summary: RunSummary) -> str:
    """Publish the summary as artifacts named `key` (lowercase letters, digits and dashes)."""
    markdown = summary.to_markdown()
    create_markdown_artifact(key=key, markdown=markdown, description=summary.title)
    if summary.table:
        create_table_artifact(key=f"{key}-table", table=summary.table, description=summary.title)
    return markdown
