"""Logs: one JSON object per line (production) or plain lines (development), a request id on
every JSON line of a request.

The access log is written here (not by the ASGI server) so that it can leave secrets out:
sign-in and share tokens travel in URL paths and are masked; query strings, headers and
cookies are never logged.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
access = logging.getLogger("desk.access")

# Paths that carry credentials: /portal/login/<token> and /s/<token>. Requests are masked by
# path (however spelled, in any case: a mistyped one may carry a token too); any other text by
# this pattern, wherever it appears in a line. A prefix counts only when a separator follows,
# so /api/v1/portal/login-links stays readable.
_SECRETS = {"/portal/login": "/portal/login/***", "/s": "/s/***"}
_SEPARATOR = r"(?:[/;\t]|%2f|%3b|%09)"
_SECRET_TEXT = re.compile(rf"(?i)(/portal/login|/s){_SEPARATOR}[^\s\"'<>]+")
_SECRET_PATH = re.compile(rf"(?i)^(/portal/login|/s){_SEPARATOR}.")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def mask_path(path: str) -> str:
    """A request path with everything after a credential-bearing prefix replaced, however the
    path is spelled (doubled slashes, dot segments, a tab or a semicolon before the token)."""
    plain = posixpath.normpath(re.sub(r"/+", "/", path)) if path.startswith("/") else path
    if found := _SECRET_PATH.match(plain):
        return _SECRETS[found.group(1).lower()]
    return mask_text(path)


def mask_text(text: str) -> str:
    return _SECRET_TEXT.sub(lambda m: _SECRETS[m.group(1).lower()], text)


# Email addresses are personal data: the part before the @ never reaches a log (job arguments,
# an SMTP server's refusal that names the recipient). Our own Message-IDs look alike and stay.
_ADDRESS = re.compile(
    r"(?<![\w!#$%&'*+/=?^`{|}~.-])(?!(?:digest|document|portal-login)\.)"
    r"[\w!#$%&'*+/=?^`{|}~.-]+@(?=[\w-]+(?:\.[\w-]+)+)"
)


def _scrubbed(record: logging.LogRecord, text: str) -> str:
    return _ADDRESS.sub("***@", mask_text(text))


# Characters that end a line for some reader (C0/C1 controls, Unicode line and paragraph
# separators): a request path full of them must not forge log lines.
_LINE_BREAKING = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    return _LINE_BREAKING.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class MaskingFormatter(logging.Formatter):
    """Plain lines, with the one masking rule applied to the whole line; a traceback keeps its
    own lines, anything else that would break the line is escaped."""

    def format(self, record: logging.LogRecord) -> str:
        shown = logging.makeLogRecord(record.__dict__)
        shown.message = one_line(record.getMessage())
        if self.usesTime():
            shown.asctime = self.formatTime(shown, self.datefmt)
        line = _scrubbed(record, self.formatMessage(shown))
        if record.exc_info:
            line += "\n" + _scrubbed(record, self.formatException(record.exc_info))
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id.get()) is not None:
            entry["request_id"] = rid
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # One rule for every line and every field of it: credentials in paths never get out, and
        # nothing in a value ends the line (json.dumps leaves C1 controls and U+2028/9 raw).
        return one_line(_scrubbed(record, json.dumps(entry, ensure_ascii=False, default=str)))


# Jobs that run every few seconds and say nothing when they find nothing to do: their start and
# "nothing" lines would bury the log (the work they plan is logged as its own jobs).
QUIET_JOBS = ("cron:plan_due_webhooks",)


class QuietRoutine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "arq.worker" or record.levelno > logging.INFO:
            return True
        text = record.getMessage()
        if not any(job in text for job in QUIET_JOBS):
            return True
        # Its start line goes; its end line stays when it found something to plan.
        return "→" not in text and "'due': 0" not in text


def configure(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(QuietRoutine())
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else MaskingFormatter("%(asctime)s %(levelname)-7s %(name)s  %(message)s", "%H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log would print tokens in paths; ours replaces it.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "arq", "arq.worker"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


class RequestIdMiddleware:
    """Takes the caller's X-Request-ID (if sane) or makes one, answers with it, logs the request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-request-id"), "")
        rid = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            access.info(
                "%s %s %s %.1f ms",
                scope["method"],
                mask_path(scope["path"]),
                status,
                duration_ms,
                extra={
                    "request_id": rid,
                    "method": scope["method"],
                    "path": mask_path(scope["path"]),
                    "status": status,
                    "duration_ms": duration_ms,
                    "user_id": getattr(scope.get("user"), "id", None),
                },
            )
            request_id.reset(token)
