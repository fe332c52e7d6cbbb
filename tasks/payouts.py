"""Trainer payouts: decide and schedule, export the SEPA files, track their execution."""

from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from services.payouts import (
    PayoutReport,
    export_batches,
    render_self_billed_invoices,
    retry_payout,
    schedule_payouts,
    track_executions,
)
from tasks import context
from tasks.summary import RunSummary


@task(cache_policy=NO_CACHE)
def track_payout_executions() -> PayoutReport:
    """The statements imported so far against the exported payouts: executed, or returned."""
    settings = context.settings()
    report = track_executions(context.engine(), now=context.now(),
                              marketplace=settings.marketplace)
    logger = get_run_logger()
    for item in report.executed:
        logger.info("virement %s exécuté le %s (session %s)", item["virement"],
                    item["exécuté le"], item["session"])
    for item in report.failed:
        logger.warning("virement %s revenu : %s", item["virement"], item["motif"])
    return report


@task(cache_policy=NO_CACHE)
def schedule_and_export_payouts(as_of: date, report: PayoutReport) -> PayoutReport:
    """Decide what each trainer is owed, issue the self-billed invoices, write the SEPA files."""
    settings = context.settings()
    engine, now = context.engine(), context.now()
    schedule_payouts(engine, as_of=as_of, now=now, mode=settings.payout_mode,
                     nda_policy=settings.nda_policy, report=report)
    render_self_billed_invoices(engine, output_dir=settings.output_dir, now=now,
                                marketplace=settings.marketplace)
    export_batches(engine, as_of=as_of, now=now, output_dir=settings.output_dir,
                   marketplace=settings.marketplace, version=settings.sepa_version,
                   report=report)
    logger = get_run_logger()
    for item in report.scheduled:
        logger.info("virement %s décidé : session %s, %s €", item["virement"], item["session"],
                    item["montant"])
    for item in report.review:
        logger.warning("virement de la session %s à revoir : %s", item["session"], item["motif"])
    for item in report.batches:
        logger.info("fichier SEPA %s : %s virements, %s €, exécution le %s", item["lot"],
                    item["virements"], item["total"], item["exécution"])
    return report


@task(cache_policy=NO_CACHE)
def retry_returned_transfer(payout_id: str, note: str, operator: str) -> str:
    """An operator's retry of a returned transfer (audit-logged): what was done, in French."""
    return retry_payout(context.engine(), payout_id=payout_id, note=note, now=context.now(),
                        operator=operator)


def add_payouts(summary: RunSummary, report: PayoutReport) -> None:
    """The payouts part of a run summary."""
    summary.lines.append(
        f"Virements formateurs : {len(report.scheduled)} décidé(s), "
        f"{len(report.batches)} fichier(s) SEPA, {len(report.executed)} exécuté(s), "
        f"{len(report.failed)} revenu(s), {len(report.waiting)} en attente, "
        f"{len(report.review)} à revoir")
    output = context.settings().output_dir
    for batch in report.batches:
        summary.lines.append(f"Fichier SEPA à déposer à la banque : `{output / batch['fichier']}` "
                             f"({batch['virements']} virements, {batch['total']} €, exécution "
                             f"le {batch['exécution']})")
    table = summary.tables.setdefault("payouts", [])
    table += [{"état": "décidé", **item} for item in report.scheduled]
    table += [{"état": "exécuté", **item} for item in report.executed]
    table += [{"état": "revenu", **item} for item in report.failed]
    table += [{"état": "à revoir", **item} for item in report.review]
    # a payout to review and a returned transfer are review items: listed with the review queue
    summary.needs_human += [f"Session {item['session']} : financeurs payés, {item['motif']} "
                            "(la demander au formateur)"
                            for item in report.awaiting_trainer_invoice]
    summary.needs_human += report.warnings
