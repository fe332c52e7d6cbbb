"""Every incomplete run reaches an operator: an e-mail per incident, once per event.

`alert_operators` records the run's incidents (a rejected file, an e-mail in failure, an invoice
held) as alert e-mails of the outbox and sends them at once; `alert_on_failure` is the state hook
of every flow (`on_failure`, `on_crashed`): a run that ends Failed or Crashed is an incident too.
A refused request alerts nobody: parameters refused before the first step (run count 0), or a
run ended « Refusé » by its own first check; the operator who asked reads the answer in the UI,
and nothing was done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.settings import PREFECT_UI_URL
from sqlalchemy.exc import SQLAlchemyError

from adapters.database import unit_of_work
from backoffice.incidents import REFUSED, Incident, run_failed
from services.alerts import ALERT_PREFIX, alert_email, record_alerts
from tasks import context
from tasks.mail import deliver

log = logging.getLogger(__name__)


def run_url(flow_run_id: object) -> str:
    """The run's page in the Prefect UI, when the UI's address is known (not in a local run)."""
    base = PREFECT_UI_URL.value()
    return f"{base}/runs/flow-run/{flow_run_id}" if base else ""


def _alert(incidents: list[Incident], run_name: str, url: str) -> int:
    """Record the incidents' alerts (those not recorded before) and send every pending alert."""
    settings = context.settings()
    with unit_of_work(context.engine()) as db:
        recorded = record_alerts(db, incidents, to=settings.operator_email, run_name=run_name,
                                 run_url=url, marketplace=settings.marketplace, now=context.now())
    deliver(ALERT_PREFIX)
    return len(recorded)


@task(cache_policy=NO_CACHE)
def alert_operators(incidents: list[Incident], run_title: str) -> int:
    """Tell the operators of this run's incidents (`run_title`: what the run was, as its summary
    says, « Traitement de nuit du 30 novembre 2026 »); the number of new alerts (0 on a re-run).
    """
    from prefect import runtime

    return _alert(incidents, run_title, run_url(runtime.flow_run.id))


def operator_flow(name: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """`@flow` with what every flow of the project has: its prints in the run's logs, and a run
    that ends Failed or Crashed alerts the operators (`alert_on_failure`)."""
    return flow(name=name, log_prints=True, on_failure=[alert_on_failure],
                on_crashed=[alert_on_failure], **options)


def alert_on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Flow state hook: the run ended Failed or Crashed; tell the operators, once per attempt.

    When the database is what failed, the alert cannot be recorded: it is sent at once instead,
    with the Message-ID of its key. Never raises: a hook's error would hide the run's own."""
    if flow_run.run_count == 0 or state.name == REFUSED:  # a refused request: nothing was done
        return
    incident = run_failed(flow.name, flow_run.name, str(flow_run.id), flow_run.run_count,
                          state.name, state.message or "")
    url = run_url(flow_run.id)
    try:
        try:
            _alert([incident], flow_run.name, url)
        except SQLAlchemyError:
            log.warning("base de données indisponible : alerte envoyée sans passer par l'outbox")
            settings = context.settings()
            context.mailer().send(alert_email(incident, to=settings.operator_email,
                                              run_name=flow_run.name, run_url=url,
                                              marketplace=settings.marketplace))
    except Exception:
        log.exception("alerte aux opérateurs impossible pour le run %s", flow_run.name)
