"""Ingest the platform export."""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from services.ingest import IngestResult, ingest_export
from tasks import context


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10])
def ingest_folder(folder: Path) -> IngestResult:
    """Validate the export's files and upsert the accepted ones (one transaction)."""
    logger = get_run_logger()
    result = ingest_export(context.engine(), folder, now=context.now())
    for outcome in result.files:
        if outcome.status == "accepted":
            logger.info("%s : %d lignes, %d nouvelles, %d modifiées", outcome.name, outcome.rows,
                        outcome.inserted, outcome.updated)
        elif outcome.status == "rejected":
            logger.warning("%s rejeté en entier (%d erreurs) :\n%s", outcome.name,
                           len(outcome.errors), "\n".join(str(e) for e in outcome.errors[:50]))
        elif outcome.status == "ignored":
            logger.warning("%s : fichier inconnu, ignoré", outcome.name)
    return result
