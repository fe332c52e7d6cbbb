"""Ingest a platform export folder (on demand; the nightly flow also runs it)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from adapters.ingest import IngestResult
from tasks import context
from tasks.ingest import ingest_folder
from tasks.summary import RunSummary, add_ingest, publish_summary


@flow(name="ingest-platform-export", log_prints=True)
def ingest_platform_export(folder: Path | None = None) -> IngestResult:
    """Ingest `folder` (default: the configured platform-export inbox) and publish a summary.

    Args:
        folder: Dossier de l'export plateforme (fichiers CSV) ; par défaut la boîte de dépôt
            configurée (BACKOFFICE_EXPORT_INBOX).
    """
    result = ingest_folder(Path(folder) if folder else context.settings().export_inbox)
    summary = RunSummary("Ingestion de l'export plateforme")
    add_ingest(summary, result)
    publish_summary("ingest-summary", summary)
    return result
