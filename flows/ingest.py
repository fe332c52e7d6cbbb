"""Ingest a platform export folder (on demand; the nightly flow also runs it)."""

from __future__ import annotations

from pathlib import Path

from flows.parameters import titled
from services.ingest import IngestResult
from tasks import context
from tasks.alerts import operator_flow
from tasks.ingest import ingest_folder
from tasks.summary import RunSummary, add_ingest, finish_run


@operator_flow("ingest-platform-export")
def ingest_platform_export(
        folder: Path | None = titled("Dossier de l'export (vide : la boîte de dépôt)", None)
) -> IngestResult:
    """Ingest `folder` (default: the configured platform-export inbox) and publish a summary.

    Args:
        folder: Dossier de l'export plateforme (fichiers CSV) ; par défaut la boîte de dépôt
            configurée (BACKOFFICE_EXPORT_INBOX).
    """
    result = ingest_folder(Path(folder) if folder else context.settings().export_inbox)
    summary = RunSummary("Ingestion de l'export plateforme")
    add_ingest(summary, result)
    return finish_run("ingest-summary", summary, context.business_day(None), result=result)
