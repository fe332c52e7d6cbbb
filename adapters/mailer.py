"""Outgoing e-mail: one message builder, two backends (.eml outbox folder and SMTP).

Every e-mail is the effect of one outbox entry and carries that entry's idempotency key:
the Message-ID is derived from it (on the sender's domain, the marketplace's) and it is
repeated in the ``X-Backoffice-Key`` header, so a resend of the same effect is recognisable
by a recipient, a mail client or a test.

Every message, written as ``.eml`` or sent by SMTP, carries a ``Date``: the instant it is
handed to its backend, from the project's clock (``adapters/clock.py``). It is the proof of
sending: the time the file was written or the message given to the SMTP server, not the time
the decision recorded it (a message recorded at night and sent after a failure on the next
night says when it really left). A resend after a crash therefore carries a later Date but
the same Message-ID, which is what lets mail systems drop the copy.

Outside the demo, no e-mail goes to a reserved domain (RFC 2606 and RFC 6761: ``.example``,
``.test``, ``.invalid``, ``.localhost``, ``example.com/.net/.org``): such an address is a
placeholder, never a mailbox. Both backends refuse it with :class:`ReservedDomainRefused`,
which the outbox takes as a failure for good (the effect is ``failed`` at once, an operator
incident); ``BACKOFFICE_ALLOW_RESERVED_EMAIL_DOMAINS``, which only the demo and the tests turn
on, lets it through.

The message is built once, by :func:`build_message`, with the standard library
(``email.message.EmailMessage``, ``policy.default``): UTF-8 everywhere, RFC 2047 encoded
headers, quoted-printable text parts, base64 attachments with explicit MIME types. Both
backends send exactly that message.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Any, Literal, Protocol

import yagmail

from adapters import clock
from adapters.files import write_atomically
from adapters.outbox import EffectRefused
from adapters.settings import get_settings
from backoffice.dates import PARIS
from backoffice.identifiers import reserved_domain
from backoffice.masking import mask_email

__all__ = [
    "EmlMailer",
    "MailDeliveryError",
    "Mailer",
    "OutgoingEmail",
    "ReservedDomainRefused",
    "RetryingMailer",
    "SmtpMailer",
    "build_message",
    "eml_file_name",
    "envelope_recipients",
    "is_transient",
    "message_id_for",
    "refuse_reserved_recipients",
    "sender_domain",
]

Security = Literal["none", "starttls", "ssl"]

KEY_HEADER = "X-Backoffice-Key"


# Explicit types for what the back-office attaches; `mimetypes` depends on the host's
# /etc/mime.types (".xml" is "text/xml" in Python's built-in table, "application/xml"
# on Debian), so the types that matter are not left to it.
_KNOWN_TYPES = {
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".xml": "application/xml",
    ".csv": "text/csv",
    ".txt": "text/plain",
}
_FALLBACK_TYPE = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """One e-mail to send, as decided by the core and recorded in the outbox."""

    key: str  # the idempotency key of the outbox effect that sends it (unique per e-mail)
    to: tuple[str, ...]
    subject: str
    text: str  # plain-text body (French)
    cc: tuple[str, ...] = ()
    html: str | None = None
    attachments: tuple[Path, ...] = ()

    @classmethod
    def from_outbox(cls, key: str, payload: dict[str, Any]) -> OutgoingEmail:
        """The e-mail recorded in the outbox under `key` (adapters.email_templates.record_email)."""
        return cls(key=key, to=tuple(payload["to"]), cc=tuple(payload.get("cc", ())),
                   subject=payload["subject"], text=payload["text"], html=payload.get("html"),
                   attachments=tuple(Path(p) for p in payload.get("attachments", ())))


class Mailer(Protocol):
    """Anything that can deliver an :class:`OutgoingEmail`."""

    def send(self, email: OutgoingEmail) -> str:
        """Deliver the e-mail and return where it went; raise on any failure."""
        ...


class MailDeliveryError(smtplib.SMTPException):
    """The SMTP server accepted the message for some recipients but refused others.

    The message did go to the accepted recipients; a resend carries the same Message-ID
    and ``X-Backoffice-Key``, so it is recognisable as the same e-mail.
    """

    def __init__(self, key: str, refused: dict[str, tuple[int, bytes]]) -> None:
        self.key = key
        self.refused = refused
        super().__init__(f"e-mail {key!r}: recipients refused by the server: {sorted(refused)}")


class ReservedDomainRefused(EffectRefused):
    """An e-mail with a recipient on a reserved domain, outside the demo: nothing is sent.

    The message (French, addresses masked) is what the outbox stores and operators read.
    Sending again cannot help (the address is in the recorded e-mail), so the outbox marks the
    effect ``failed`` at once.
    """

    def __init__(self, key: str, reserved: dict[str, str]) -> None:
        self.key = key
        self.reserved = reserved  # address → the reserved domain it is on
        names = [f"{mask_email(address)} (« {domain} »)" for address, domain in reserved.items()]
        shown = " et ".join(filter(None, (", ".join(names[:-1]), names[-1])))
        if len(reserved) == 1:
            what = f"{shown} est sur un domaine réservé (RFC 2606, RFC 6761), qui ne reçoit " \
                   "aucun courrier : adresse fictive"
        else:
            what = f"{shown} sont sur des domaines réservés (RFC 2606, RFC 6761), qui ne " \
                   "reçoivent aucun courrier : adresses fictives"
        super().__init__(
            f"e-mail non envoyé : {what}, à corriger à la source (data/opcos.csv pour un OPCO, "
            "sinon l'export de la plateforme). Échec définitif, sans nouvel essai")


# --------------------------------------------------------------------------- building


def _digest(key: str) -> str:
    """Hex SHA-256 of the idempotency key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def sender_domain(sender: str) -> str:
    """The domain of the sender's address, as it goes in a Message-ID (ASCII, lower case)."""
    domain = Address(addr_spec=sender).domain.rstrip(".").lower()
    if not domain:
        raise ValueError(f"sender {sender!r} has no domain")
    return domain.encode("idna").decode("ascii")


def message_id_for(key: str, domain: str) -> str:
    """The Message-ID of the e-mail sent by the effect ``key`` (same key, same id), on
    ``domain``: the marketplace's, the domain of the sender (:func:`sender_domain`)."""
    return f"<{_digest(key)[:32]}@{domain}>"


def refuse_reserved_recipients(email: OutgoingEmail) -> None:
    """Raise :class:`ReservedDomainRefused` when a recipient (To or Cc) is on a reserved
    domain."""
    reserved = {address: domain for address in envelope_recipients(email)
                if (domain := reserved_domain(address)) is not None}
    if reserved:
        raise ReservedDomainRefused(email.key, reserved)


def _reserved_domains_allowed(allowed: bool | None) -> bool:
    """The mailer's choice, or the settings' (``BACKOFFICE_ALLOW_RESERVED_EMAIL_DOMAINS``)."""
    return get_settings().allow_reserved_email_domains if allowed is None else allowed


def eml_file_name(key: str) -> str:
    """A safe, stable file name for the effect ``key``: a slug of the key plus a short hash."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-")[:60] or "email"
    return f"{slug}-{_digest(key)[:12]}.eml"


def envelope_recipients(email: OutgoingEmail) -> list[str]:
    """The bare addresses of To and Cc, in order, without duplicates (case-insensitive)."""
    seen: dict[str, str] = {}
    for _name, address in getaddresses([*email.to, *email.cc]):
        if address:
            seen.setdefault(address.lower(), address)
    return list(seen.values())


def _attachment_type(path: Path) -> tuple[str, str]:
    """(maintype, subtype) of an attachment, from its suffix."""
    content_type = _KNOWN_TYPES.get(path.suffix.lower())
    if content_type is None:
        guessed, encoding = mimetypes.guess_type(path.name, strict=True)
        # an encoding means compressed data (".tar.gz"); multipart/message need a structure
        if (
            guessed is None
            or encoding is not None
            or guessed.startswith(("multipart/", "message/"))
        ):
            guessed = _FALLBACK_TYPE
        content_type = guessed
    maintype, subtype = content_type.split("/", 1)
    return maintype, subtype


def _boundary(key: str, part: int) -> str:
    """A deterministic MIME boundary ("=_" cannot start a quoted-printable or base64 line)."""
    return f"=_bo_{_digest(key)[:24]}_{part}"


def _fix_boundaries(message: EmailMessage, key: str) -> None:
    """Replace the random multipart boundaries so that the same e-mail gives the same bytes."""
    for number, part in enumerate(message.walk()):
        if part.is_multipart():
            part.set_boundary(_boundary(key, number))


def _set_subject(message: EmailMessage, subject: str) -> None:
    """Set the Subject, pre-encoded as RFC 2047 words when it is not plain ASCII.

    ``policy.default`` (CPython 3.11) folds a long non-ASCII subject so that the space
    between two encoded words ends up as folding white space, which decoders drop:
    "… 1 200,50 € l’unité" comes back as "… 1 200,50 €l’unité" (230 of 3,000 random French
    subjects). ``email.header.Header`` puts every character, spaces included, inside the
    encoded words and keeps lines within 78 characters, so the raw value is stored as is.
    """
    if "\n" in subject or "\r" in subject:
        raise ValueError("a subject cannot contain a line break")
    if subject.isascii():
        message["Subject"] = subject
    else:
        message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())


def build_message(
    email: OutgoingEmail,
    sender: str,
    sender_name: str = "",
    *,
    date: datetime | None = None,
) -> EmailMessage:
    """Build the RFC 5322 message of ``email``, the same bytes for the same input and date.

    ``date`` (timezone-aware) is the Date header, written in Paris time; by default the
    project's clock now, the time of sending. The Message-ID is derived from the key, on the
    sender's domain. Raises ``ValueError`` on an e-mail without recipient, a header
    containing a newline or a naive date, ``OSError`` when an attachment cannot be read.
    """
    if not email.to:
        raise ValueError(f"e-mail {email.key!r} has no recipient")
    date = clock.now() if date is None else date
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("the Date of an e-mail needs a timezone-aware instant")
    message = EmailMessage(policy=policy.default)
    message["From"] = Address(display_name=sender_name, addr_spec=sender)
    message["To"] = ", ".join(email.to)
    if email.cc:
        message["Cc"] = ", ".join(email.cc)
    _set_subject(message, email.subject)
    message["Date"] = format_datetime(date.astimezone(PARIS))
    message["Message-ID"] = message_id_for(email.key, sender_domain(sender))
    message[KEY_HEADER] = email.key
    message.set_content(email.text, cte="quoted-printable")
    if email.html is not None:
        message.add_alternative(email.html, subtype="html", cte="quoted-printable")
    for path in email.attachments:
        maintype, subtype = _attachment_type(path)
        message.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    _fix_boundaries(message, email.key)
    return message


# --------------------------------------------------------------------------- .eml outbox


class EmlMailer:
    """The embedded default: one RFC 5322 ``.eml`` file per e-mail in ``outbox_dir``.

    The file name is derived from the idempotency key, so sending the same effect again
    overwrites the same file instead of adding a second one: the same Message-ID, the Date of
    the last writing (identical bytes when the clock says the same instant, as in the demo).

    ``allow_reserved_domains``: write e-mails to reserved domains too (the demo, the tests);
    by default as the settings say (``BACKOFFICE_ALLOW_RESERVED_EMAIL_DOMAINS``, off).
    """

    def __init__(self, outbox_dir: Path, sender: str, sender_name: str = "", *,
                 allow_reserved_domains: bool | None = None) -> None:
        self.outbox_dir = Path(outbox_dir)
        self.sender = sender
        self.sender_name = sender_name
        self.allow_reserved_domains = _reserved_domains_allowed(allow_reserved_domains)

    def path_for(self, key: str) -> Path:
        """Where the e-mail of effect ``key`` is (or will be) written."""
        return self.outbox_dir / eml_file_name(key)

    def send(self, email: OutgoingEmail) -> str:
        """Write the e-mail (CRLF line endings, ASCII only, dated now) and return the file path.

        Raises :class:`ReservedDomainRefused` (nothing written) for a recipient on a reserved
        domain, unless they are allowed."""
        if not self.allow_reserved_domains:
            refuse_reserved_recipients(email)
        message = build_message(email, self.sender, self.sender_name, date=clock.now())
        data = message.as_bytes(policy=policy.SMTP)
        path = self.path_for(email.key)
        write_atomically(path, data)
        return str(path)


# --------------------------------------------------------------------------- SMTP


def is_transient(error: Exception) -> bool:
    """A failure that may go away by itself: server down or busy, connection lost, 4xx reply."""
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError)


class RetryingMailer:
    """Retries a send on transient failures, with pauses; permanent failures raise at once."""

    def __init__(self, mailer: Mailer, pauses: tuple[float, ...] = (1.0, 5.0),
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.mailer, self.pauses, self.sleep = mailer, pauses, sleep

    def send(self, email: OutgoingEmail) -> str:
        for pause in self.pauses:
            try:
                return self.mailer.send(email)
            except Exception as error:
                if not is_transient(error):
                    raise
                self.sleep(pause)
        return self.mailer.send(email)


class SmtpMailer:
    """Production: SMTP through yagmail, one connection per e-mail (opened, used, closed).

    yagmail 0.16.0 is used for what it does well, the connection: plain, STARTTLS or
    implicit TLS, and login (skipped when ``user`` is None). Its message builder is NOT
    used, because it cannot carry this e-mail correctly:

    * the plain-text part is derived from the HTML string: newlines become ``<br>`` in the
      text/plain part, and ``<``, ``&`` in the text are taken as markup; there is no way to
      give a text body and a separate HTML body;
    * a body string that happens to be an existing file path is attached instead of sent;
    * ``headers={"Message-ID": ...}`` gives a second Message-ID (yagmail always adds its
      own, an MD5 of From/To/Subject, i.e. identical for different effects);
    * attachment types come from ``mimetypes`` (host-dependent) and only ``application/*``
      parts get ``Content-Disposition: attachment``;
    * it would make the SMTP message differ from the ``.eml`` of the same effect.

    So the message comes from :func:`build_message` and goes through the connection that
    yagmail opened (``client.smtp.send_message``). That also avoids ``Client.send``'s
    retry loop, which on a dropped connection sleeps 3+6+9 s and then *returns False*
    instead of raising. Every failure here raises.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        sender_name: str = "",
        user: str | None = None,
        password: str | None = None,
        security: Security = "starttls",
        timeout: float = 30.0,
        *,
        allow_reserved_domains: bool | None = None,
    ) -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"unknown SMTP security {security!r}")
        if user is not None and password is None:
            # yagmail would look the password up in the keyring, then prompt on the terminal.
            raise ValueError("an SMTP user needs a password")
        self.host = host
        self.port = port
        self.sender = sender
        self.sender_name = sender_name
        self.user = user
        self.password = password
        self.security = security
        self.timeout = timeout
        self.allow_reserved_domains = _reserved_domains_allowed(allow_reserved_domains)

    @property
    def destination(self) -> str:
        """What :meth:`send` returns: ``smtp:host:port``."""
        return f"smtp:{self.host}:{self.port}"

    def _client(self) -> yagmail.SMTP:
        """A yagmail client configured for this server (not connected yet).

        Certificates are verified: yagmail's ``smtp_starttls=True`` and ``smtp_ssl=True``
        leave the context to smtplib, which then does not verify anything.
        """
        context = ssl.create_default_context()
        extra: dict[str, Any] = {"context": context} if self.security == "ssl" else {}
        login = self.user if self.user is not None else self.sender
        client = yagmail.SMTP(
            user=login,  # yagmail turns user=None into "@gmail.com" and rejects it
            password=self.password,
            host=self.host,
            port=self.port,
            smtp_ssl=self.security == "ssl",
            smtp_starttls={"context": context} if self.security == "starttls" else False,
            smtp_skip_login=self.user is None,
            soft_email_validation=False,
            timeout=self.timeout,
            **extra,
        )
        client.user = login  # yagmail appends "@gmail.com" to a login without "@"
        return client

    def send(self, email: OutgoingEmail) -> str:
        """Send the e-mail to To and Cc, close the connection, return ``smtp:host:port``.

        Raises :class:`ReservedDomainRefused` before connecting when a recipient is on a
        reserved domain (unless they are allowed), ``OSError`` (connection refused, timeout),
        ``smtplib.SMTPException`` (refused sender, all recipients refused, authentication,
        STARTTLS unsupported) or :class:`MailDeliveryError` when only some recipients were
        refused. The Date is the instant the message is handed to the server.
        """
        if not self.allow_reserved_domains:
            refuse_reserved_recipients(email)
        message = build_message(email, self.sender, self.sender_name, date=clock.now())
        with self._client() as client:
            client.login()  # connects, STARTTLS / TLS, AUTH unless skipped
            refused = client.smtp.send_message(
                message, from_addr=self.sender, to_addrs=envelope_recipients(email)
            )
        if refused:
            raise MailDeliveryError(email.key, refused)
        return self.destination
