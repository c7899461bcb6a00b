"""An in-process SMTP server for tests that send mail.

Usage in a test module:

    from tests.smtp_server import smtp_server  # noqa: F401  (pytest fixture)

    async def test_x(smtp_server):
        await SmtpMailer.from_url(smtp_server.url).send(message)
        assert smtp_server.messages[0].message["Subject"] == "…"

`smtp_server.fail(TRANSIENT)` / `smtp_server.fail(PERMANENT, at="DATA")` simulate outages and
refusals; `smtp_server.recover()` accepts mail again.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, AnyStr, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

HOST = "127.0.0.1"
TRANSIENT = "421 4.3.0 Service not available"
PERMANENT = "550 5.1.1 mailbox unavailable"


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now (`Controller(port=0)` cannot report its port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class RecordingHandler:
    """aiosmtpd handler that keeps every accepted message and can be told to refuse."""

    messages: list[ReceivedMail] = field(default_factory=list)
    recipients_seen: list[str] = field(default_factory=list)
    # A full reply line ("421 …", "550 …") to answer instead of accepting, and where.
    failure: str | None = None
    fail_at: Literal["RCPT", "DATA"] = "RCPT"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self.failure and self.fail_at == "RCPT":
            return self.failure
        envelope.rcpt_tos.append(address)
        self.recipients_seen.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.failure and self.fail_at == "DATA":
            return self.failure
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        self.messages.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed))
        return "250 Message accepted for delivery"


class MtaLikeSMTP(SMTP):
    """aiosmtpd, except that a message whose end-of-data marker arrived before the client hung
    up is still accepted. aiosmtpd cancels its session on disconnect and drops such a message;
    MTAs such as Postfix or Exim queue it as soon as they read the final dot (which is why
    RFC 1047 describes duplicates, not losses, when a client dies before reading "250")."""

    def connection_lost(self, error: Exception | None) -> None:
        # aiosmtpd's own connection_lost, without cancelling the session: after a clean close
        # the reader still returns the buffered lines, then EOF ends the session.
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()
        if self._original_transport is not None:
            self._original_transport.close()
        asyncio.StreamReaderProtocol.connection_lost(self, error)
        self.transport = None

    async def push(self, status: AnyStr) -> None:
        if self.transport is not None:
            await super().push(status)


class MtaLikeController(Controller):
    def factory(self) -> SMTP:
        return MtaLikeSMTP(self.handler, **self.SMTP_kwargs)


class SmtpTestServer:
    """aiosmtpd in a background thread on 127.0.0.1; optionally requires AUTH LOGIN/PLAIN."""

    def __init__(self, *, credentials: tuple[str, str] | None = None) -> None:
        self.handler = RecordingHandler()
        self.host = HOST
        self.port = free_port()
        self.credentials = credentials
        auth: dict[str, Any] = {}
        if credentials:
            # Plain-text AUTH is acceptable only because the connection never leaves loopback.
            auth = {"authenticator": self._authenticate, "auth_require_tls": False, "auth_required": False}
        self.controller = MtaLikeController(self.handler, hostname=self.host, port=self.port, **auth)

    @property
    def messages(self) -> list[ReceivedMail]:
        return self.handler.messages

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}?timeout=5"

    def fail(self, reply: str = TRANSIENT, *, at: Literal["RCPT", "DATA"] = "RCPT") -> None:
        self.handler.failure, self.handler.fail_at = reply, at

    def recover(self) -> None:
        self.handler.failure = None

    def start(self) -> SmtpTestServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.credentials is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        )
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server
