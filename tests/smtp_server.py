"""A real SMTP server on loopback for tests (aiosmtpd), without any pytest dependency.

    with running_smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, "noreply@example.org", security="none")
        mailer.send(email)
    server.messages[0]["Subject"], server.envelopes[0].rcpt_tos

Messages are parsed with ``policy.default``, so they are ``email.message.EmailMessage``
objects. The SMTP reply to DATA is only sent once the message is stored, so it is visible
in ``messages`` as soon as the client's send returns.
"""

from __future__ import annotations

import socket
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A TCP port that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Envelope:
    """The SMTP envelope of one received message (MAIL FROM and every RCPT TO)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]


@dataclass(slots=True)
class _Collector:
    """aiosmtpd handler: refuses some recipients, keeps every accepted message."""

    refused: frozenset[str]
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.envelopes.append(Envelope(envelope.mail_from, tuple(envelope.rcpt_tos)))
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """What :func:`running_smtp_server` yields; ``messages[i]`` came with ``envelopes[i]``."""

    host: str
    port: int
    messages: list[EmailMessage]
    envelopes: list[Envelope]


@contextmanager
def running_smtp_server(refuse: Collection[str] = (), port: int | None = None
                        ) -> Iterator[SmtpServer]:
    """Run an SMTP server on 127.0.0.1 and a free port until the block ends.

    No TLS, no authentication. ``refuse`` lists recipient addresses answered with 550.
    """
    collector = _Collector(refused=frozenset(address.lower() for address in refuse))
    port = port or free_port()
    # server_hostname avoids a socket.getfqdn() (a DNS lookup) at every connection.
    controller = Controller(collector, hostname=HOST, port=port, server_hostname="localhost")
    controller.start()
    try:
        yield SmtpServer(HOST, port, collector.messages, collector.envelopes)
    finally:
        controller.stop()
