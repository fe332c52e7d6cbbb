"""Operators told by e-mail of each incident (backoffice/incidents.py), once per event.

An alert is an e-mail of the outbox recorded under `email:operator-alert:<incident key>`, so the
same event (the same file rejected again on the next night, a re-run of the same day) records
nothing new and sends nothing. Its text is masked (no IBAN or e-mail address of a client or
trainer in clear): it goes to a shared mailbox and its copies live long.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session as OrmSession

from adapters.email_templates import record_email, render_email
from adapters.mailer import OutgoingEmail
from adapters.settings import Marketplace
from backoffice.incidents import Incident
from backoffice.masking import mask_text

ALERT_PREFIX = "email:operator-alert:"


def alert_key(incident: Incident) -> str:
    return f"{ALERT_PREFIX}{incident.key}"


def _masked(incident: Incident) -> Incident:
    return replace(incident, title=mask_text(incident.title), detail=mask_text(incident.detail),
                   action=mask_text(incident.action))


def record_alerts(db: OrmSession, incidents: list[Incident], *, to: str, run_name: str,
                  run_url: str, marketplace: Marketplace, now: datetime) -> list[str]:
    """Record one alert e-mail per incident not alerted before; the keys newly recorded."""
    return [alert_key(incident) for incident in incidents
            if record_email(db, alert_key(incident), to=[to], template="operator_alert", now=now,
                            incident=_masked(incident), run_name=run_name, run_url=run_url,
                            marketplace=marketplace)]


def alert_email(incident: Incident, *, to: str, run_name: str, run_url: str,
                marketplace: Marketplace) -> OutgoingEmail:
    """The same alert as an e-mail to send at once, when the database cannot record it (the run
    failed because it is down): its Message-ID comes from the same key."""
    rendered = render_email("operator_alert", incident=_masked(incident), run_name=run_name,
                            run_url=run_url, marketplace=marketplace)
    return OutgoingEmail(key=alert_key(incident), to=(to,), subject=rendered.subject,
                         text=rendered.text)
