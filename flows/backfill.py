"""Backfill: the nightly pipeline replayed for each date of a period, in order, one run per date.

The nightly runs every calendar day (cron `30 4 * * *`, Europe/Paris), weekends and holidays
included, so a backfill replays every calendar date from `start` to `end`: the business date of
a nightly run is the Paris date it was scheduled for, not a TARGET2 business day (TARGET2 days
only matter inside the pipeline, for the dates of transfers).

Deployed (run by a worker), each date is a run of the `nightly/nightly` deployment with the
idempotency key `backfill-nightly-<date>`, started after the previous one has finished: its own
process, its own logs and summary in the UI. Prefect returns the run already made for a key, so
a second backfill over the same period starts nothing, and its summary says so date by date
(« déjà fait »). Run locally (command line, tests), or if the nightly is not deployed, each date
is a subflow run of the nightly in this process. Either way the first date that does not
complete (Failed, Crashed) stops the backfill; the later dates are not run. A date whose nightly
ended « Incomplet » (a rejected file…) does not stop it, and the backfill ends « Incomplet » too,
naming those dates (each nightly told the operators of its own incidents).

The period is a `Period` (flows/parameters.py): an end before the start, or more than 366 days,
is refused before the first date is run.

Because every step of the nightly is idempotent and takes its date from `as_of`, a backfill
leaves the database, the files and the e-mails as the nightly runs of those days would have,
and running it again changes nothing (tests/flows/test_backfill.py).
"""

from __future__ import annotations

from datetime import date

from prefect import get_run_logger, runtime

from backoffice.dates import format_date_fr
from backoffice.incidents import INCOMPLETE
from flows.nightly import nightly
from flows.parameters import Period, titled
from tasks.alerts import operator_flow
from tasks.summary import RunSummary, finish_run, publish_summary

NIGHTLY_DEPLOYMENT = "nightly/nightly"  # flow name / deployment name, as in prefect.yaml


class BackfillStopped(RuntimeError):
    """A date of the backfill did not complete; the message says which and what to do."""


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


def _run_deployed(day: date) -> dict[str, str]:
    """The nightly run of `day` through the deployment, waited for. A run already made for that
    date (same idempotency key: an earlier backfill) is not run again: its row says so."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    run = run_deployment(NIGHTLY_DEPLOYMENT, parameters={"as_of": day.isoformat()},
                         idempotency_key=idempotency_key(day), timeout=None, poll_interval=2,
                         as_subflow=False, tags=["backfill"])
    with get_client(sync_client=True) as client:
        this_run = client.read_flow_run(runtime.flow_run.id)
    state = run.state
    if state is None or not state.is_completed():
        name = state.name if state else "inconnu"
        raise BackfillStopped(
            f"Rattrapage arrêté au {format_date_fr(day)} : le traitement de nuit de ce jour "
            f"(run « {run.name} ») a fini en état {name}. Les jours suivants n'ont pas été "
            "traités. Corriger la cause (voir les journaux de ce run), relancer ce run depuis "
            "l'interface (Retry), puis relancer le rattrapage : les jours déjà faits ne sont "
            "pas refaits.")
    earlier = run.created is not None and this_run.created is not None \
        and run.created < this_run.created
    return {"date": day.isoformat(), "état": state.name, "run": run.name,
            "fait": "déjà fait par un rattrapage précédent, pas relancé" if earlier
            else "rejoué"}


def _run_subflow(day: date) -> dict[str, str]:
    """The nightly run of `day` as a subflow of this run (it changes nothing already done)."""
    state = nightly(as_of=day, return_state=True)
    if not state.is_completed():
        raise BackfillStopped(
            f"Rattrapage arrêté au {format_date_fr(day)} : le traitement de nuit de ce jour a "
            f"fini en état {state.name} ({state.message}). Les jours suivants n'ont pas été "
            "traités ; corriger la cause puis relancer le rattrapage (refaire un jour déjà "
            "fait ne change rien).")
    return {"date": day.isoformat(), "état": state.name, "run": "sous-flow", "fait": "rejoué"}


@operator_flow("backfill")
def backfill(period: Period = titled("Période à rejouer")) -> list[date]:
    """Replay the nightly pipeline for each date of the period (both included), in order.

    Args:
        period: Les dates métier à rejouer, la première et la dernière incluses (au plus 366
            jours). Chaque date du calendrier est rejouée, comme le traitement de nuit qui
            tourne tous les jours.
    """
    days = period.days()
    logger = get_run_logger()
    deployment = _nightly_deployment_id()
    run_one = _run_deployed if deployment else _run_subflow
    logger.info("rattrapage du %s au %s : %d date(s), %s", period.start.isoformat(),
                period.end.isoformat(), len(days),
                f"un run du déploiement {NIGHTLY_DEPLOYMENT} par date" if deployment
                else "un sous-flow nightly par date")
    summary = RunSummary(f"Rattrapage du {format_date_fr(period.start)} au "
                         f"{format_date_fr(period.end)}")
    table = summary.tables.setdefault("dates", [])
    try:
        for day in days:
            table.append(run_one(day))
            logger.info("%s : traitement de nuit %s (%s)", day.isoformat(), table[-1]["état"],
                        table[-1]["fait"])
    except BackfillStopped as stopped:
        summary.needs_human.append(str(stopped))
        summary.lines.append(f"{len(table)} date(s) sur {len(days)} traitée(s)")
        publish_summary("backfill-summary", summary)
        raise
    replayed = sum(row["fait"] == "rejoué" for row in table)
    summary.lines.append(f"{replayed} date(s) rejouée(s), dans l'ordre ; {len(days) - replayed} "
                         "déjà faite(s) par un rattrapage précédent (runs existants, pas "
                         "relancés)")
    summary.incomplete += [f"{row['date']} : traitement de nuit « {INCOMPLETE} »"
                           for row in table if row["état"] == INCOMPLETE]
    return finish_run("backfill-summary", summary, period.end, result=days)
