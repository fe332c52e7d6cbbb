"""Backfill: the nightly pipeline replayed for each date of a period, in order, one run per date.

The nightly runs every calendar day (cron `30 4 * * *`, Europe/Paris), weekends and holidays
included, so a backfill replays every calendar date from `start` to `end`: the business date of
a nightly run is the Paris date it was scheduled for, not a TARGET2 business day (TARGET2 days
only matter inside the pipeline, for the dates of transfers).

Deployed (run by a worker), each date is a run of the `nightly/nightly` deployment with the
idempotency key `backfill-nightly-<date>`, started after the previous one has finished: its own
process, its own logs and summary in the UI. Prefect returns the run already made for a key, so
a second backfill over the same period starts nothing. Run locally (command line, tests), or if
the nightly is not deployed, each date is a subflow run of the nightly in this process. Either
way the first date that does not complete stops the backfill; the later dates are not run.

Because every step of the nightly is idempotent and takes its date from `as_of`, a backfill
leaves the database, the files and the e-mails as the nightly runs of those days would have,
and running it again changes nothing (tests/flows/test_backfill.py).
"""

from __future__ import annotations

from datetime import date, timedelta

from prefect import flow, get_run_logger, runtime

from backoffice.dates import format_date_fr
from flows.nightly import nightly
from tasks.summary import RunSummary, publish_summary

NIGHTLY_DEPLOYMENT = "nightly/nightly"  # flow name / deployment name, as in prefect.yaml
MAX_DAYS = 366


class BackfillStopped(RuntimeError):
    """A date of the backfill did not complete; the message says which and what to do."""


def backfill_dates(start: date, end: date) -> list[date]:
    """Every calendar date from `start` to `end` included, in order (the nightly's dates)."""
    if end < start:
        raise ValueError(f"Période vide : la fin ({end.isoformat()}) précède le début "
                         f"({start.isoformat()}).")
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise ValueError(f"Période de {days} jours : au plus {MAX_DAYS} par rattrapage, "
                         "le découper.")
    return [start + timedelta(days=n) for n in range(days)]


def idempotency_key(day: date) -> str:
    return f"backfill-nightly-{day.isoformat()}"


def _nightly_deployment_id() -> str | None:
    """The nightly deployment when this backfill runs as a deployment and it exists, else None."""
    if runtime.deployment.id is None:
        return None
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            return str(client.read_deployment_by_name(NIGHTLY_DEPLOYMENT).id)
        except ObjectNotFound:
            return None


def _run_deployed(day: date) -> tuple[str, str]:
    """One nightly run for `day` through the deployment, waited for; (state, run name)."""
    from prefect.deployments import run_deployment

    run = run_deployment(NIGHTLY_DEPLOYMENT, parameters={"as_of": day.isoformat()},
                         idempotency_key=idempotency_key(day), timeout=None, poll_interval=2,
                         as_subflow=False, tags=["backfill"])
    state = run.state
    if state is None or not state.is_completed():
        name = state.name if state else "inconnu"
        raise BackfillStopped(
            f"Rattrapage arrêté au {format_date_fr(day)} : le traitement de nuit de ce jour "
            f"(run « {run.name} ») a fini en état {name}. Les jours suivants n'ont pas été "
            "traités. Corriger la cause (voir les journaux de ce run), relancer ce run depuis "
            "l'interface (Retry), puis relancer le rattrapage : les jours déjà faits ne sont "
            "pas refaits.")
    return state.name, run.name


def _run_subflow(day: date) -> tuple[str, str]:
    """One nightly run for `day` as a subflow of this run; (state, run name)."""
    state = nightly(as_of=day, return_state=True)
    if not state.is_completed():
        raise BackfillStopped(
            f"Rattrapage arrêté au {format_date_fr(day)} : le traitement de nuit de ce jour a "
            f"fini en état {state.name} ({state.message}). Les jours suivants n'ont pas été "
            "traités ; corriger la cause puis relancer le rattrapage (refaire un jour déjà "
            "fait ne change rien).")
    return state.name, "sous-flow"


@flow(name="backfill", log_prints=True)
def backfill(start: date, end: date) -> list[date]:
    """Replay the nightly pipeline for each date from `start` to `end` (included), in order.

    Args:
        start: Première date métier à rejouer (incluse).
        end: Dernière date métier à rejouer (incluse). Chaque date du calendrier est rejouée,
            comme le traitement de nuit qui tourne tous les jours.
    """
    days = backfill_dates(start, end)
    logger = get_run_logger()
    deployment = _nightly_deployment_id()
    run_one = _run_deployed if deployment else _run_subflow
    logger.info("rattrapage du %s au %s : %d date(s), %s", start.isoformat(), end.isoformat(),
                len(days), f"un run du déploiement {NIGHTLY_DEPLOYMENT} par date" if deployment
                else "un sous-flow nightly par date")
    summary = RunSummary(f"Rattrapage du {format_date_fr(start)} au {format_date_fr(end)}")
    table = summary.tables.setdefault("dates", [])
    try:
        for day in days:
            state, run_name = run_one(day)
            logger.info("%s : traitement de nuit %s (%s)", day.isoformat(), state, run_name)
            table.append({"date": day.isoformat(), "état": state, "run": run_name})
    except BackfillStopped as stopped:
        summary.needs_human.append(str(stopped))
        summary.lines.append(f"{len(table)} date(s) sur {len(days)} rejouée(s)")
        publish_summary("backfill-summary", summary)
        raise
    summary.lines.append(f"{len(days)} date(s) rejouée(s), dans l'ordre")
    publish_summary("backfill-summary", summary)
    return days
