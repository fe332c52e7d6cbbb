"""Outside the demo, no e-mail goes to a reserved domain (RFC 2606, RFC 6761): both mailers
refuse it before writing or connecting, the outbox fails the effect at once with a French reason
naming the masked address; the demo and the tests turn the refusal off
(BACKOFFICE_ALLOW_RESERVED_EMAIL_DOMAINS, tests/conftest.py, demo/run.py: demo_settings)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.mailer import (
    EmlMailer,
    OutgoingEmail,
    ReservedDomainRefused,
    RetryingMailer,
    SmtpMailer,
)
from adapters.models import Effect
from adapters.outbox import perform_pending, record_effect
from adapters.settings import SettingsError, get_settings, settings_from_env
from backoffice.identifiers import reserved_domain
from tests.smtp_server import running_smtp_server

SENDER = "backoffice@ganapati-formation.fr"
OPCO = "facturation@atlas.example"  # data/opcos.csv: the OPCOs' billing addresses, placeholders
CLIENT = "Sophie Durand <sophie.durand@boulangeries-durand.fr>"
NOW = datetime(2026, 12, 7, 3, 30, tzinfo=UTC)
SWITCH = "BACKOFFICE_ALLOW_RESERVED_EMAIL_DOMAINS"


def email(key: str, to: tuple[str, ...], cc: tuple[str, ...] = ()) -> OutgoingEmail:
    return OutgoingEmail(key=key, to=to, cc=cc, subject="Facture FA-2026-000012",
                         text="Bonjour,\n")


@pytest.fixture
def switch(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set BACKOFFICE_ALLOW_RESERVED_EMAIL_DOMAINS for one test (`switch.setenv(SWITCH, …)`),
    the settings read again each time they are asked after it."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.parametrize(("address", "reserved"), [
    ("facturation@atlas.example", ".example"),
    ("Facturation@OPCO2I.EXAMPLE", ".example"),
    ("jeanne@formateurs.test", ".test"),
    ("x@nowhere.invalid", ".invalid"),
    ("root@localhost", ".localhost"),
    ("dev@api.localhost", ".localhost"),
    ("client@entreprise.example.", ".example"),
    ("noreply@example.org", "example.org"),
    ("a@mail.example.com", "example.com"),
    ("a@example.net", "example.net"),
    ("facturation@opco-atlas.fr", None),
    ("contact@example.fr", None),
    ("contact@myexample.org", None),
    ("contact@test.fr", None),
    ("contact@exemple.com", None),
    ("contact@examples.com", None),
    ("contact@localhost.fr", None),
])
def test_the_reserved_domains_of_rfc_2606_and_6761(address, reserved):
    assert reserved_domain(address) == reserved


def test_the_eml_mailer_refuses_a_reserved_recipient_and_writes_nothing(tmp_path: Path):
    mailer = EmlMailer(tmp_path, SENDER, allow_reserved_domains=False)

    with pytest.raises(ReservedDomainRefused) as refused:
        mailer.send(email("email:invoice:FA-2026-000012", (OPCO,)))

    assert list(tmp_path.iterdir()) == []
    assert refused.value.reserved == {OPCO: ".example"}
    message = str(refused.value)
    assert message.startswith("e-mail non envoyé : f***@atlas.example (« .example ») est sur un "
                              "domaine réservé (RFC 2606, RFC 6761)")
    assert "Échec définitif" in message and OPCO not in message  # masked, like every alert
    assert Path(mailer.send(email("email:invoice:FA-2026-000013", (CLIENT,)))).is_file()


def test_a_reserved_cc_is_refused_too_and_every_one_is_named(tmp_path: Path):
    mailer = EmlMailer(tmp_path, SENDER, allow_reserved_domains=False)

    with pytest.raises(ReservedDomainRefused) as refused:
        mailer.send(email("email:bundle:S-1:v1", (CLIENT,), cc=("Karim <karim@tr.test>", OPCO)))

    assert refused.value.reserved == {"karim@tr.test": ".test", OPCO: ".example"}
    assert "k***@tr.test (« .test ») et f***@atlas.example (« .example ») sont sur des " \
           "domaines réservés" in str(refused.value)
    assert "boulangeries-durand" not in str(refused.value)


def test_the_smtp_mailer_refuses_before_connecting_and_is_not_retried():
    pauses: list[float] = []
    with running_smtp_server() as server:
        mailer = RetryingMailer(SmtpMailer(server.host, server.port, SENDER, security="none",
                                           allow_reserved_domains=False), sleep=pauses.append)
        with pytest.raises(ReservedDomainRefused):
            mailer.send(email("email:invoice:FA-2026-000012", (CLIENT,), cc=(OPCO,)))
        mailer.send(email("email:invoice:FA-2026-000013", (CLIENT,)))

    assert [envelope.rcpt_tos for envelope in server.envelopes] == [
        ("sophie.durand@boulangeries-durand.fr",)]
    assert pauses == []


def test_allowed_reserved_domains_are_written_and_sent(tmp_path: Path):
    assert Path(EmlMailer(tmp_path, SENDER, allow_reserved_domains=True)
                .send(email("email:a", (OPCO,)))).is_file()
    with running_smtp_server() as server:
        SmtpMailer(server.host, server.port, SENDER, security="none",
                   allow_reserved_domains=True).send(email("email:b", (OPCO,)))
    assert server.envelopes[0].rcpt_tos == (OPCO,)


def test_the_setting_refuses_by_default_and_only_yes_allows():
    assert settings_from_env({}).allow_reserved_email_domains is False
    assert settings_from_env({SWITCH: "no"}).allow_reserved_email_domains is False
    assert settings_from_env({SWITCH: "yes"}).allow_reserved_email_domains is True
    with pytest.raises(SettingsError, match=f"{SWITCH}='oui' : valeurs possibles yes, no"):
        settings_from_env({SWITCH: "oui"})


def test_a_mailer_follows_the_settings_unless_told(switch, tmp_path: Path):
    switch.setenv(SWITCH, "")  # production: the default
    get_settings.cache_clear()
    assert EmlMailer(tmp_path, SENDER).allow_reserved_domains is False
    assert SmtpMailer("smtp.ganapati-formation.fr", 587, SENDER).allow_reserved_domains is False
    assert EmlMailer(tmp_path, SENDER, allow_reserved_domains=True).allow_reserved_domains

    switch.setenv(SWITCH, "yes")  # the tests' environment (tests/conftest.py), the demo's
    get_settings.cache_clear()
    assert EmlMailer(tmp_path, SENDER).allow_reserved_domains is True


def test_the_outbox_fails_a_refused_email_at_once_with_its_reason(engine, tmp_path: Path):
    with unit_of_work(engine) as db:
        for key, to in (("email:invoice:FA-2026-000012", [OPCO]),
                        ("email:invoice:FA-2026-000013", [CLIENT])):
            record_effect(db, key, "email", {"to": to, "subject": "Facture", "text": "Bonjour,\n"},
                          NOW)
    mailer = EmlMailer(tmp_path, SENDER, allow_reserved_domains=False)

    def send(key, payload):
        return mailer.send(OutgoingEmail(key=key, to=tuple(payload["to"]),
                                         subject=payload["subject"], text=payload["text"]))

    first = perform_pending(engine, "email", send, lambda: NOW)
    second = perform_pending(engine, "email", send, lambda: NOW)

    assert (first.performed, first.failed, second.performed, second.failed) == (1, 1, 0, 0)
    [failure] = first.failures
    assert failure.key == "email:invoice:FA-2026-000012"
    assert failure.error.startswith("ReservedDomainRefused: e-mail non envoyé : "
                                    "f***@atlas.example (« .example »)")
    with unit_of_work(engine) as db:
        states = {e.idempotency_key: (e.state, e.attempts, e.last_error == failure.error)
                  for e in db.scalars(select(Effect))}
    assert states == {"email:invoice:FA-2026-000012": ("failed", 1, True),
                      "email:invoice:FA-2026-000013": ("done", 1, False)}
    assert [path.name.split("-FA-")[0] for path in tmp_path.glob("*.eml")] == ["email-invoice"]


def test_the_demo_and_only_it_lets_reserved_domains_through(switch, tmp_path: Path):
    from demo.run import demo_settings

    switch.setenv(SWITCH, "no")
    get_settings.cache_clear()
    with demo_settings():
        assert get_settings().allow_reserved_email_domains is True
        assert EmlMailer(tmp_path, SENDER).allow_reserved_domains is True
    assert get_settings().allow_reserved_email_domains is False

    switch.delenv(SWITCH)
    get_settings.cache_clear()
    with demo_settings():
        assert get_settings().allow_reserved_email_domains is True
    assert get_settings().allow_reserved_email_domains is False


def test_backoffice_demo_runs_in_the_demo_settings(switch):
    import demo.run

    switch.setenv(SWITCH, "no")
    get_settings.cache_clear()
    switch.setattr(demo.run, "_run_demo",
                   lambda seed: int(get_settings().allow_reserved_email_domains))
    assert demo.run.run_demo() == 1
    assert get_settings().allow_reserved_email_domains is False
