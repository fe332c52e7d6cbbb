"""What every task needs from the outside: the settings, a ready database, a mailer, the clock."""

from __future__ import annotations

import logging
from datetime import date, datetime

from prefect import get_run_logger, runtime
from prefect.exceptions import MissingContextError
from sqlalchemy import Engine

from adapters import clock
from adapters.database import ready_engine
from adapters.mailer import EmlMailer, Mailer, RetryingMailer, SmtpMailer
from adapters.settings import Marketplace, Settings, get_settings, marketplace_identity
from backoffice.dates import business_date

# The Prefect global concurrency limit (limit 1) that money-moving flows (invoices, credit notes,
# payouts) hold while they move money, so two of them never run at once. `make ui` creates it.
MONEY_MOVING_LIMIT = "money-moving"


def settings() -> Settings:
    return get_settings()


def engine() -> Engine:
    """The database of the settings, upgraded to the latest migration on first use."""
    return ready_engine(settings().database_url)


def marketplace() -> Marketplace:
    """The marketplace's identity, for what the flows print and send: the demo's fictitious
    one raises `IdentityIncomplete` outside the demo and the tests (before anything is made)."""
    return marketplace_identity(settings())


def mailer() -> Mailer:
    """The e-mail backend of the settings, sending as the marketplace (`marketplace()`)."""
    config = settings()
    sender, name = marketplace().email, config.marketplace.name
    if config.smtp is None:
        return EmlMailer(config.outbox_dir, sender, name)
    smtp = config.smtp
    return RetryingMailer(SmtpMailer(smtp.host, smtp.port, sender, name, user=smtp.user,
                                     password=smtp.password, security=smtp.security),
                          pauses=config.smtp_retry_pauses)


def resolve_business_date(as_of: date | None, scheduled_start: object) -> date:
    """`as_of` when given (backfills); otherwise the run's scheduled start, or now, in Paris."""
    if as_of is not None:
        return as_of
    instant = scheduled_start if isinstance(scheduled_start, datetime) else now()
    return business_date(instant)


def business_day(as_of: date | None) -> date:
    """The business date of the running flow: the one place that reads the clock for it."""
    return resolve_business_date(as_of, runtime.flow_run.scheduled_start_time)


def logger() -> logging.Logger | logging.LoggerAdapter:
    """The run's logger (its lines reach the UI), or the module's outside a run (a state hook
    after the run, a plain call)."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("tasks")


def operator() -> str:
    """Who an operator's decision is attributed to in the audit log: the flow run's name."""
    return f"operator:{runtime.flow_run.name or 'local'}"


def now() -> datetime:
    """The installed clock (adapters/clock.py): audit and outbox timestamps, SEPA creation times;
    business dates come from `as_of`."""
    return clock.now()
