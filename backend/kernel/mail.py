"""Outgoing mail transport, shared by every domain that sends email.

Callers build an `EmailMessage` and hand it to a `Mailer`. The transport tells them how a
failure should be treated: `MailError` means "try again later", `PermanentMailError` means
"this message will never be accepted; stop retrying". `make_mailer` picks the transport from
a URL so that development (`file://./var/outbox`) and production (`smtp://…`) differ only in
configuration.
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import os
import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

import aiosmtplib
from aiosmtplib.email import extract_recipients, extract_sender
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from backend.kernel.redaction import is_erased_email

# How messages go on the wire and into .eml files: SMTP's CRLF, and header values stored raw (the
# address headers of backend.kernel.mail_layout) left as they were folded; the default would refold
# long ones, and Python's folding can drop a display name's quotes.
WIRE_POLICY = email.policy.SMTP.clone(refold_source="none")

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
SMTP_PORT = 25
SMTPS_PORT = 465


class MailError(Exception):
    """Transient delivery failure (server down, timeout, 4xx): retry later."""


class PermanentMailError(MailError):
    """The server refused the message for good (5xx): retrying cannot help."""


class Handover(Protocol):
    def complete(self) -> None:
        """Let the prepared message go, synchronously (SMTP: the final bytes of its data are
        written; outbox: the file appears). Nothing can run between a caller's previous step
        and this one."""

    async def confirm(self) -> None:
        """Wait for the verdict on the completed message (SMTP: the server's reply)."""

    async def release(self) -> None:
        """complete(), then confirm()."""


@runtime_checkable
class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...

    def handover(self, message: EmailMessage) -> AbstractAsyncContextManager[Handover]:
        """Prepare delivery up to the last step (SMTP: everything before the message data);
        `release()` completes it. Leaving the block without releasing delivers nothing."""
        ...


# -- SMTP ------------------------------------------------------------------------------------


class SmtpMailer:
    """Delivers each message over a fresh SMTP connection.

    A connection per message keeps the transport stateless: no reconnect logic, no stale
    sessions after a server restart. Digest volumes (one mail per contact per week) make the
    handshake cost irrelevant.
    """

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        start_tls: bool | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if use_tls and start_tls:
            raise ValueError("SMTP: implicit TLS and STARTTLS are mutually exclusive")
        if not 0 < timeout < float("inf"):
            raise ValueError("SMTP: timeout must be positive")
        self.host = host
        self.port = port or (SMTPS_PORT if use_tls else SMTP_PORT)
        self.username = username
        self._password = password  # private so it never ends up in vars()/repr by accident
        self.use_tls = use_tls
        # None = upgrade when the server offers STARTTLS (aiosmtplib's default), True = require.
        self.start_tls = start_tls
        self.timeout = timeout

    @classmethod
    def from_url(cls, url: str) -> SmtpMailer:
        """`smtp://[user[:password]@]host[:port][?starttls=1|tls=1][&timeout=10]`; `smtps://` = TLS.

        Reserved characters in user or password (`@ : / ? #`) must be percent-encoded.
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP URL must start with smtp:// or smtps://, not {scheme or '(none)'}://")
        host = _url_host(parts)
        flags, timeout = _query_options(parts.query)
        return cls(
            host,
            _url_port(parts),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            use_tls=scheme == "smtps" or flags.get("tls", False),
            start_tls=flags.get("starttls"),
            timeout=timeout,
        )

    def __repr__(self) -> str:
        auth = ""
        if self.username:
            auth = f", username={self.username!r}, password={'***' if self._password else None}"
        return (
            f"SmtpMailer(host={self.host!r}, port={self.port}{auth}, use_tls={self.use_tls}, "
            f"start_tls={self.start_tls}, timeout={self.timeout})"
        )

    __str__ = __repr__

    async def send(self, message: EmailMessage) -> None:
        async with self.handover(message) as handover:
            await handover.release()

    @asynccontextmanager
    async def handover(self, message: EmailMessage) -> AsyncIterator[Handover]:
        refuse_erased(message)
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self._password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )
        with self._mapped_errors():
            await smtp.connect()
            try:
                await smtp.mail(extract_sender(message) or "")
                for recipient in extract_recipients(message):
                    await smtp.rcpt(recipient)
                start = await smtp.execute_command(b"DATA")
                if start.code != 354:
                    raise aiosmtplib.SMTPDataError(start.code, start.message)
                await _write_all(smtp, _wire_body(message), self.timeout)
                yield _SmtpRelease(smtp, self.timeout)
            finally:
                smtp.close()
        log.info("mail %s handed to %s:%s", message.get("Message-ID", "?"), self.host, self.port)

    @contextmanager
    def _mapped_errors(self) -> Iterator[None]:
        try:
            yield
        except aiosmtplib.SMTPRecipientRefused as exc:
            raise self._error(_permanent(exc.code), f"recipient refused: {exc.code} {exc.message}") from exc
        except aiosmtplib.SMTPDataError as exc:
            # A 5xx after DATA rejects this message's content (size, spam), not the server.
            raise self._error(_permanent(exc.code), f"message refused: {exc.code} {exc.message}") from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            # Connection, TLS, HELO, AUTH and sender problems concern the server or our
            # configuration, not this message: retrying after they are fixed will succeed.
            raise self._error(False, f"{type(exc).__name__}: {exc}") from exc
        except ValueError as exc:
            # aiosmtplib rejects unusable addresses before connecting; that never improves.
            raise self._error(True, f"message cannot be sent: {exc}") from exc

    def _error(self, permanent: bool, detail: str) -> MailError:
        kind = PermanentMailError if permanent else MailError
        return kind(self._scrub(f"SMTP {self.host}:{self.port}: {detail}"))

    def _scrub(self, text: str) -> str:
        # Servers may echo what they received; make sure the password never leaves this object.
        return text.replace(self._password, "***") if self._password else text


END_OF_DATA = b".\r\n"


def refuse_erased(message: EmailMessage) -> None:
    """A mail planned before its recipient was erased is never sent to the placeholder."""
    if any(is_erased_email(address) for address in extract_recipients(message)):
        raise PermanentMailError("the recipient's data was erased (GDPR Art. 17)")


def _wire_body(message: EmailMessage) -> bytes:
    """The DATA payload as aiosmtplib would send it (CRLF, dot-stuffed), without the final dot."""
    # Our messages carry no Bcc header, which aiosmtplib's own flattening would have to drop.
    return PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message.as_bytes(policy=WIRE_POLICY)))


async def _write_all(smtp: aiosmtplib.SMTP, data: bytes, timeout: float) -> None:
    """Write and wait until the kernel holds every byte: asyncio would otherwise keep the rest
    of a large message in process memory, where a killed process loses it."""
    protocol = smtp.protocol
    if protocol is None or protocol.transport is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    # With a zero high-water mark the transport pauses the protocol while anything is
    # buffered and resumes it once the buffer is empty, which is what drain waits for.
    protocol.transport.set_write_buffer_limits(high=0)  # type: ignore[attr-defined]
    protocol.write(data)
    async with asyncio.timeout(timeout):
        await protocol._drain_helper()


class _SmtpRelease:
    def __init__(self, smtp: aiosmtplib.SMTP, timeout: float) -> None:
        self.smtp, self.timeout = smtp, timeout

    def complete(self) -> None:
        protocol = self.smtp.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        # The body is already with the kernel; these three bytes complete the message.
        protocol._response_pending = True
        protocol.write(END_OF_DATA)

    async def confirm(self) -> None:
        protocol = self.smtp.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        reply = await protocol.read_response(timeout=self.timeout)
        if reply.code != 250:
            raise aiosmtplib.SMTPDataError(reply.code, reply.message)

    async def release(self) -> None:
        self.complete()
        await self.confirm()


def _permanent(*codes: int) -> bool:
    """Permanent only when every refusal is 5xx: one 4xx means a retry may still succeed."""
    return bool(codes) and all(500 <= code < 600 for code in codes)


def _url_host(parts: SplitResult) -> str:
    host = parts.hostname
    if not host:
        raise ValueError("SMTP URL needs a host, e.g. smtp://mail.example.com:587")
    return host


def _url_port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:
        # Don't echo the URL: it may carry a password.
        raise ValueError("SMTP URL has an invalid port") from None


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _query_options(query: str) -> tuple[dict[str, bool], float]:
    """Parse `starttls`, `tls` and `timeout`; unknown keys are errors so typos don't go unnoticed."""
    flags: dict[str, bool] = {}
    timeout = DEFAULT_TIMEOUT
    for key, values in parse_qs(query, keep_blank_values=True).items():
        value = values[-1].strip().lower()
        if key in ("starttls", "tls"):
            if value not in _TRUE | _FALSE:
                raise ValueError(f"SMTP URL option {key} must be 1 or 0, not {value!r}")
            flags[key] = value in _TRUE
        elif key == "timeout":
            try:
                timeout = float(value)
            except ValueError:
                raise ValueError(f"SMTP URL option timeout must be a number, not {value!r}") from None
        else:
            raise ValueError(f"unknown SMTP URL option {key!r} (allowed: starttls, tls, timeout)")
    return flags, timeout


# -- outbox directory ------------------------------------------------------------------------


class OutboxMailer:
    """Writes each message as an `.eml` file: development and demos need no mail server.

    Files are named `<UTC timestamp>_<Message-ID>.eml` so a directory listing is the send
    order, and are written under a dot-prefixed temp name first so a reader never sees half a file.
    Beside each, a `.txt` shows what a person reads: the main headers and the plain text decoded
    (in the `.eml` a long link is folded by the transfer encoding and cannot be copied whole).
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"OutboxMailer(directory={str(self.directory)!r})"

    async def send(self, message: EmailMessage) -> None:
        async with self.handover(message) as handover:
            await handover.release()

    @asynccontextmanager
    async def handover(self, message: EmailMessage) -> AsyncIterator[Handover]:
        refuse_erased(message)
        try:
            temp = await asyncio.to_thread(self._write_temp, message)
        except OSError as exc:
            # A full disk or a permission fix later makes the same message writable again.
            raise MailError(f"outbox {self.directory}: {exc}") from exc
        except ValueError as exc:  # the message cannot be written as mail (an unusable address)
            raise PermanentMailError(f"message cannot be sent: {exc}") from exc
        release = _OutboxRelease(temp, self.directory / outbox_filename(message), readable(message))
        try:
            yield release
        finally:
            temp.unlink(missing_ok=True)
        log.info("mail %s written to %s", message.get("Message-ID", "?"), release.target)

    def _write_temp(self, message: EmailMessage) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        # The SMTP policy gives CRLF line endings: the file is byte-for-byte what goes on the wire.
        data = message.as_bytes(policy=WIRE_POLICY)
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return Path(temp)


def readable(message: EmailMessage) -> str:
    """The main headers and the plain text of a message, decoded, for people reading the outbox."""
    headers = "".join(f"{name}: {message[name]}\n" for name in ("Date", "From", "To", "Subject") if message[name])
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    attachments = [part.get_filename() for part in message.iter_attachments()]
    listed = "".join(f"[attached: {name}]\n" for name in attachments if name)
    return f"{headers}\n{text.rstrip()}\n{listed}"


class _OutboxRelease:
    def __init__(self, temp: Path, target: Path, readable: str) -> None:
        self.temp, self.target, self.readable = temp, target, readable

    def complete(self) -> None:
        try:
            # Atomic: a reader sees no file or the whole message, never half of one.
            os.replace(self.temp, self.target)
        except OSError as exc:
            raise MailError(f"outbox {self.target.parent}: {exc}") from exc
        try:
            self.target.with_suffix(".txt").write_text(self.readable, encoding="utf-8")
        except OSError:  # the message itself is written; the reading copy is a convenience
            log.warning("outbox: no readable copy of %s", self.target.name)

    async def confirm(self) -> None:
        return None

    async def release(self) -> None:
        self.complete()


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def outbox_filename(message: EmailMessage, now: datetime | None = None) -> str:
    """`20261123T070000.123456Z_<message id>.eml`; microseconds keep same-second mails in order."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%S.%fZ")
    raw_id = str(message.get("Message-ID", "")).strip().strip("<>")
    safe_id = _UNSAFE.sub("_", raw_id).strip("._")[:120] or uuid.uuid4().hex
    return f"{stamp}_{safe_id}.eml"


# -- choosing a transport --------------------------------------------------------------------


def make_mailer(url: str) -> Mailer:
    """`file://<dir>` → OutboxMailer, `smtp://…` / `smtps://…` → SmtpMailer."""
    scheme, sep, _rest = url.partition("://")
    scheme = scheme.strip().lower()
    if not sep:
        raise ValueError("mail URL must look like file://./var/outbox or smtp://host:port")
    if scheme == "file":
        return OutboxMailer(_file_path(url))
    if scheme in ("smtp", "smtps"):
        return SmtpMailer.from_url(url)
    raise ValueError(f"unsupported mail URL scheme {scheme!r}: use file://, smtp:// or smtps://")


def _file_path(url: str) -> Path:
    # Not urlsplit: `file://./var/outbox` would make "." the host. Everything after the
    # scheme is the path; `file:///abs` is absolute, `file://var/outbox` relative.
    path = unquote(url.split("://", 1)[1])
    if path.startswith("localhost/"):
        path = path[len("localhost") :]
    if not path:
        raise ValueError("file:// mail URL needs a directory, e.g. file://./var/outbox")
    return Path(path)
