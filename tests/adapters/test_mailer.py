"""The mail adapter against real parts: files in tmp_path and an aiosmtpd server on loopback."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from adapters.clock import FixedClock, use_clock
from adapters.mailer import (
    EmlMailer,
    MailDeliveryError,
    OutgoingEmail,
    RetryingMailer,
    SmtpMailer,
    build_message,
    is_transient,
    message_id_for,
)
from tests.smtp_server import free_port, running_smtp_server

SENDER = "noreply@formations.example.org"
DOMAIN = "formations.example.org"  # the sender's: the marketplace's
SENT_AT = datetime(2026, 12, 7, 3, 30, 12, tzinfo=UTC)  # 04:30:12 in Paris
SENDER_NAME = "Équipe Formation"
CLIENT = "Élodie Dupont <client@entreprise.example.org>"
TRAINER = "trainer@formateurs.example.org"
SUBJECT = (
    "Votre dossier de formation « Excel avancé – niveau 2 » : convention, programme "
    "et devis (1 200,50 € l’unité)"
)
TEXT = (
    "Bonjour Élodie,\n\n"
    "Veuillez trouver ci-joint la convention « Excel avancé » de la session S-2024-001.\n"
    "Reste à charge estimé : 350,00 €. N’hésitez pas à transmettre le dossier à l’OPCO.\n\n"
    "Cordialement,\nL’équipe formation\n"
)
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "Convention été S-2024-001.pdf"
    path.write_bytes(PDF_BYTES)
    return path


def make_email(
    key: str, attachments: tuple[Path, ...] = (), html: str | None = None
) -> OutgoingEmail:
    return OutgoingEmail(
        key=key,
        to=(CLIENT,),
        cc=(TRAINER,),
        subject=SUBJECT,
        text=TEXT,
        html=html,
        attachments=attachments,
    )


def parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content().replace("\r\n", "\n")


def attachments_of(message: EmailMessage) -> list[tuple[str, str | None, bytes]]:
    return [
        (part.get_content_type(), part.get_filename(), part.get_content())
        for part in message.iter_attachments()
    ]


# --------------------------------------------------------------------------- EmlMailer


def test_eml_writes_one_file_named_after_the_key(tmp_path: Path, pdf: Path) -> None:
    outbox = tmp_path / "outbox"
    mailer = EmlMailer(outbox, SENDER, SENDER_NAME)

    where = mailer.send(make_email("email:dossier/S-2024-001 ../convention", (pdf,)))

    files = sorted(outbox.iterdir())
    assert [str(path) for path in files] == [where]
    assert files[0] == mailer.path_for("email:dossier/S-2024-001 ../convention")
    assert files[0].suffix == ".eml"
    assert all(char.isalnum() or char in "-_." for char in files[0].name)


def test_eml_resend_of_the_same_key_overwrites_with_identical_bytes(
    tmp_path: Path, pdf: Path
) -> None:
    mailer = EmlMailer(tmp_path, SENDER, SENDER_NAME)
    email = make_email("email:dossier:S-2024-001", (pdf,), html="<p>Bonjour Élodie</p>")

    with use_clock(FixedClock(SENT_AT)):
        first = Path(mailer.send(email)).read_bytes()
        second_path = Path(mailer.send(email))

    assert sorted(tmp_path.glob("*.eml")) == [second_path]
    assert second_path.read_bytes() == first
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [second_path.name, pdf.name]
    ), "no temporary file is left behind"


def test_eml_resend_after_a_crash_keeps_the_message_id_and_dates_the_new_writing(
    tmp_path: Path,
) -> None:
    mailer = EmlMailer(tmp_path, SENDER, SENDER_NAME)
    email = make_email("email:green-light:S-7")

    with use_clock(FixedClock(SENT_AT)):
        first = parse(Path(mailer.send(email)).read_bytes())
    with use_clock(FixedClock(SENT_AT + timedelta(days=1))):
        second = parse(Path(mailer.send(email)).read_bytes())

    assert len(list(tmp_path.glob("*.eml"))) == 1
    assert first["Message-ID"] == second["Message-ID"] == message_id_for(email.key, DOMAIN)
    assert parsedate_to_datetime(second["Date"]) - parsedate_to_datetime(first["Date"]) == (
        timedelta(days=1))


def test_eml_is_dated_by_the_project_clock_in_paris_time(tmp_path: Path) -> None:
    with use_clock(FixedClock(SENT_AT)):
        data = Path(EmlMailer(tmp_path, SENDER).send(make_email("email:x"))).read_bytes()

    message = parse(data)
    assert message["Date"] == "Mon, 07 Dec 2026 04:30:12 +0100"  # RFC 5322 (format_datetime)
    assert parsedate_to_datetime(message["Date"]) == SENT_AT
    assert data.count(b"\r\nDate: ") == 1


def test_the_message_id_is_the_key_s_on_the_sender_s_domain() -> None:
    key = "email:invoice:FA-2026-000012"
    message = build_message(make_email(key), "Backoffice@Ganapati-Formation.FR")

    assert message["Message-ID"] == message_id_for(key, "ganapati-formation.fr")
    assert message["Message-ID"].endswith("@ganapati-formation.fr>")
    assert message_id_for(key, "a.fr") != message_id_for("email:invoice:FA-2026-000013", "a.fr")
    assert build_message(make_email(key), "equipe@formation-été.fr")["Message-ID"].endswith(
        "@xn--formation-t-kbbb.fr>"), "a Message-ID is ASCII: the domain in its IDNA form"


def test_a_message_needs_an_aware_date() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_message(make_email("k"), SENDER, date=datetime(2026, 12, 7, 4, 30))  # noqa: DTZ001


def test_eml_two_keys_give_two_files(tmp_path: Path) -> None:
    mailer = EmlMailer(tmp_path / "outbox", SENDER)

    first = mailer.send(make_email("email:pec-reminder:S-1:D-15"))
    second = mailer.send(make_email("email:pec-reminder:S-1:D-7"))

    assert first != second
    assert len(list((tmp_path / "outbox").iterdir())) == 2


def test_eml_file_parses_back_with_french_text_and_pdf(tmp_path: Path, pdf: Path) -> None:
    key = "email:dossier:S-2024-001"
    data = Path(EmlMailer(tmp_path, SENDER, SENDER_NAME).send(make_email(key, (pdf,)))).read_bytes()

    message = parse(data)

    assert data.isascii(), "headers are RFC 2047 encoded, the body quoted-printable or base64"
    assert message["Subject"] == SUBJECT
    assert str(message["To"]) == CLIENT
    assert str(message["Cc"]) == TRAINER
    assert message["From"].addresses[0].display_name == SENDER_NAME
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["X-Backoffice-Key"] == key
    assert message["Message-ID"] == message_id_for(key, DOMAIN)
    assert plain_text(message) == TEXT
    assert attachments_of(message) == [("application/pdf", pdf.name, PDF_BYTES)]


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("devis.pdf", "application/pdf"),
        ("pack-controle.zip", "application/zip"),
        ("virements-pain001.xml", "application/xml"),
    ],
)
def test_attachment_mime_types(tmp_path: Path, name: str, content_type: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x00\x01contenu")

    message = build_message(make_email("k", (path,)), SENDER)

    assert attachments_of(message) == [(content_type, name, b"\x00\x01contenu")]


def test_html_alternative_keeps_the_plain_text(tmp_path: Path) -> None:
    message = build_message(make_email("k", html="<p>Reste à charge&nbsp;: 350,00 €</p>"), SENDER)

    html = message.get_body(preferencelist=("html",))
    assert html is not None and html.get_content() == "<p>Reste à charge&nbsp;: 350,00 €</p>\n"
    assert plain_text(message) == TEXT


def test_build_message_rejects_no_recipient_and_header_injection() -> None:
    with pytest.raises(ValueError, match="no recipient"):
        build_message(OutgoingEmail(key="k", to=(), subject="s", text="t"), SENDER)
    with pytest.raises(ValueError):
        build_message(
            OutgoingEmail(key="k", to=(TRAINER,), subject="été\nBcc: x@example.org", text="t"),
            SENDER,
        )


# --------------------------------------------------------------------------- SmtpMailer


def test_smtp_delivers_french_email_with_cc_and_attachment(pdf: Path) -> None:
    key = "email:dossier:S-2024-001"
    with running_smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, SENDER, SENDER_NAME, security="none")

        with use_clock(FixedClock(SENT_AT)):
            where = mailer.send(make_email(key, (pdf,)))

    assert where == f"smtp:{server.host}:{server.port}"
    [message] = server.messages
    [envelope] = server.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == ("client@entreprise.example.org", TRAINER)
    assert message["Subject"] == SUBJECT
    assert plain_text(message) == TEXT
    assert message["X-Backoffice-Key"] == key
    assert message["Message-ID"] == message_id_for(key, DOMAIN)
    assert parsedate_to_datetime(message["Date"]) == SENT_AT
    assert attachments_of(message) == [("application/pdf", pdf.name, PDF_BYTES)]


def test_smtp_resend_carries_the_same_message_id() -> None:
    with running_smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, SENDER, security="none")
        mailer.send(make_email("email:green-light:S-7"))
        mailer.send(make_email("email:green-light:S-7"))

    expected = message_id_for("email:green-light:S-7", DOMAIN)
    assert [message["Message-ID"] for message in server.messages] == [expected, expected]


def test_smtp_connection_refused_raises() -> None:
    with running_smtp_server() as server:
        port = server.port
    mailer = SmtpMailer("127.0.0.1", port, SENDER, security="none", timeout=2)

    with pytest.raises(ConnectionRefusedError):
        mailer.send(make_email("email:x"))
    with pytest.raises(ConnectionRefusedError):
        SmtpMailer("127.0.0.1", free_port(), SENDER, security="none").send(make_email("email:y"))


def test_smtp_partly_refused_recipients_raise(pdf: Path) -> None:
    with running_smtp_server(refuse=[TRAINER]) as server:
        mailer = SmtpMailer(server.host, server.port, SENDER, security="none")

        with pytest.raises(MailDeliveryError) as raised:
            mailer.send(make_email("email:dossier:S-9", (pdf,)))

    assert list(raised.value.refused) == [TRAINER]
    assert server.envelopes[0].rcpt_tos == ("client@entreprise.example.org",)


def test_smtp_all_recipients_refused_raises() -> None:
    with running_smtp_server(refuse=["client@entreprise.example.org", TRAINER]) as server:
        mailer = SmtpMailer(server.host, server.port, SENDER, security="none")

        with pytest.raises(smtplib.SMTPRecipientsRefused):
            mailer.send(make_email("email:dossier:S-10"))

    assert server.messages == []


def test_smtp_starttls_required_but_not_offered_raises() -> None:
    with running_smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, SENDER, security="starttls")

        with pytest.raises(smtplib.SMTPNotSupportedError):
            mailer.send(make_email("email:z"))

    assert server.messages == []


def test_smtp_user_without_password_is_rejected_up_front() -> None:
    with pytest.raises(ValueError, match="password"):
        SmtpMailer("smtp.example.org", 587, SENDER, user="apikey")


def test_transient_failures_are_retried_then_raised():
    pauses: list[float] = []
    mailer = RetryingMailer(SmtpMailer("127.0.0.1", free_port(), "noreply@example.org",
                                       security="none"), pauses=(0.5, 2.0), sleep=pauses.append)
    email = OutgoingEmail(key="k", to=("a@example.org",), subject="s", text="t")
    with pytest.raises(ConnectionRefusedError) as refused:
        mailer.send(email)
    assert pauses == [0.5, 2.0] and is_transient(refused.value)


def test_a_permanent_refusal_is_not_retried():
    pauses: list[float] = []
    with running_smtp_server(refuse={"nobody@example.org"}) as server:
        mailer = RetryingMailer(SmtpMailer(server.host, server.port, "noreply@example.org",
                                           security="none"), sleep=pauses.append)
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            mailer.send(OutgoingEmail(key="k", to=("nobody@example.org",), subject="s", text="t"))
    assert pauses == []
