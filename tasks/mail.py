"""Deliver the e-mails waiting in the outbox."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from adapters.mailer import OutgoingEmail, is_transient
from adapters.outbox import OutboxReport, perform_pending
from tasks import context


@task(cache_policy=NO_CACHE)
def deliver_pending_emails() -> OutboxReport:
    """Send every pending e-mail once (eml files by default, SMTP when configured)."""
    return deliver("")


def deliver(key_prefix: str) -> OutboxReport:
    """Send the pending e-mails whose key starts with `key_prefix`, and log what failed."""
    mailer = context.mailer()
    report = perform_pending(
        context.engine(), "email",
        lambda key, payload: mailer.send(OutgoingEmail.from_outbox(key, payload)),
        context.now, stop_on=is_transient, key_prefix=key_prefix,
    )
    logger = context.logger()
    if report.performed or report.failed:
        logger.info("e-mails envoyés : %d, en échec : %d", report.performed, report.failed)
    for error in report.errors:
        logger.error("envoi en échec : %s", error)
    return report
