"""The edge of every request, before routing: refuse what must never reach a handler, and put
the security headers on every answer (pages, portal, API, errors alike).

- Cookie-authenticated API writes from another site are refused (CSRF): a browser names the
  requesting site in `Origin` / `Sec-Fetch-Site`; bearer-token clients are not affected.
- API bodies must be JSON (415 otherwise), so a cross-site form or `text/plain` post cannot
  pass for one.
- A NUL character in the path, the query string or a form body is refused (400): no database
  can store it in text, and PostgreSQL fails on it.
- A path spelled with `//`, `/./` or `/../` is refused (404), so checks that go by the path
  see its one plain spelling; multipart bodies are refused (415) but where a file is
  uploaded (a deliverable's artefacts, in the API and on the admin page), and form bodies are
  read whole only up to a size no form reaches (413 beyond).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from litestar import Request

from backend.kernel.errors import DomainError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_NOT_PLAIN = re.compile(r"//|/\.\.?(?:/|$)")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
FORM_LIMIT = 1024 * 1024
# The only bodies that are files: a deliverable's artefacts (the API's upload, the admin form).
UPLOADS = re.compile(r"^(?:/api/v1|/engagements/\d+)/deliverables/\d+/artefacts$")
_PAGE_POLICY = (
    b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    b"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    b"frame-ancestors 'none'"
)
# The API documentation page loads Swagger UI (served by the app), which starts from an inline script.
_DOCS_POLICY = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
_DATA_POLICY = b"default-src 'none'; frame-ancestors 'none'"
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
Refusal = tuple[int, str, str, str]  # status, problem slug, title, detail


def _policy(path: str, content_type: bytes) -> bytes:
    if path.startswith("/schema"):
        return _DOCS_POLICY
    if content_type.startswith(b"text/html"):
        return _PAGE_POLICY
    if content_type.startswith(b"application/pdf"):
        # The browser's PDF viewer must not be restricted further; nobody may frame it.
        return b"frame-ancestors 'none'"
    return _DATA_POLICY


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class SecurityMiddleware:
    def __init__(self, app: Any, *, auth_cookie: str, public_url: str, routes: list[Any]) -> None:
        self.app = app
        self.auth_cookie = auth_cookie
        # Every method of a path, by the handler that answers OPTIONS there: Litestar's own answer
        # names the methods of whichever route made that handler, not always the path's own.
        self.allow = {
            id(handler): ", ".join(sorted(route.methods)).encode()
            for route in routes
            for handler in route.route_handlers
            if "OPTIONS" in handler.http_methods
        }
        parts = urlsplit(public_url)
        self.public_origin = f"{parts.scheme}://{parts.netloc}".lower()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = _address_refusal(scope)
        if refusal is None and scope["method"] not in SAFE_METHODS:  # reads need no more checks
            headers = _headers(scope)
            refusal = self._write_refusal(scope, headers)
            if refusal is None and _is_form(headers) and scope["method"] in BODY_METHODS:
                receive, refusal = await _checked_form(receive)
        send = self._with_headers(scope, send)
        if refusal is not None:
            await _problem(scope, send, *refusal)
            return
        await self.app(scope, receive, send)

    def _write_refusal(self, scope: dict[str, Any], headers: dict[str, str]) -> Refusal | None:
        path, method = scope["path"], scope["method"]
        upload = _is_multipart(headers) and UPLOADS.match(path) is not None and method == "POST"
        if _is_multipart(headers) and not upload:
            return (
                415,
                "unsupported-media-type",
                "Unsupported media type",
                ("Forms are sent url-encoded; request bodies of the API are JSON."),
            )
        if not path.startswith("/api/"):
            return None
        if self._cross_site(scope, headers):
            return (
                403,
                "cross-site",
                "Cross-site request refused",
                (
                    "A request signed in by cookie must come from this site. Other programs authenticate "
                    "with the bearer token (Authorization header)."
                ),
            )
        if method in BODY_METHODS and _has_body(headers) and not (upload or _is_json(headers.get("content-type", ""))):
            return (
                415,
                "unsupported-media-type",
                "Unsupported media type",
                ("Request bodies are JSON: send Content-Type: application/json."),
            )
        return None

    def _cross_site(self, scope: dict[str, Any], headers: dict[str, str]) -> bool:
        # A bearer client only when a token follows: Litestar falls back to the cookie otherwise.
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        bearer = scheme.lower() == "bearer" and bool(token.strip())
        if bearer or not _has_cookie(headers, self.auth_cookie):
            return False  # a bearer client, or nobody signed in: no ambient credentials at stake
        # A header sent twice arrives here joined by ", ": every one of its values must pass.
        origins = [o.strip().lower() for o in headers.get("origin", "").split(",") if o.strip()]
        if origins:
            own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()
            return any(origin not in (own, self.public_origin) for origin in origins)
        sites = [s.strip().lower() for s in headers.get("sec-fetch-site", "").split(",") if s.strip()]
        if sites:
            return any(site not in ("same-origin", "none") for site in sites)
        return False  # no browser sends neither on a cross-site write

    def _with_headers(self, scope: dict[str, Any], send: Any) -> Any:
        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = list(message.get("headers", []))
                if scope["method"] == "OPTIONS" and (allow := self._allow_for(scope)) is not None:
                    present = [(k, v) for k, v in present if k.lower() != b"allow"] + [(b"allow", allow)]
                content_type = next((v for k, v in present if k.lower() == b"content-type"), b"")
                extra = [*_COMMON, (b"content-security-policy", _policy(scope["path"], content_type))]
                if scope.get("scheme") == "https":
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                if not scope["path"].startswith("/static/"):
                    # Tokens, client data, signed-in pages: no copy in any cache, nor in the
                    # browser's back-forward history of a shared computer.
                    extra.append((b"cache-control", b"no-store"))
                names = {k.lower() for k, _ in present}
                message["headers"] = present + [(k, v) for k, v in extra if k not in names]
            await send(message)

        return send_with_headers

    def _allow_for(self, scope: dict[str, Any]) -> bytes | None:
        return self.allow.get(id(scope.get("route_handler")))


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    """Request headers by lower-case name; a header sent more than once keeps all its values
    (cookies joined by "; ", others by ", "), so no check reads one copy while the server uses
    another."""
    found: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name in found:
            found[name] += ("; " if name == "cookie" else ", ") + value
        else:
            found[name] = value
    return found


def _address_refusal(scope: dict[str, Any]) -> Refusal | None:
    path, query = scope["path"], scope.get("query_string", b"")
    if "\x00" in path or b"%00" in query or b"\x00" in query:
        return 400, "bad-request", "Bad request", "The address must not contain NUL characters."
    if "//" in path or ("/." in path and _NOT_PLAIN.search(path)):
        # The router would still find `//api/…` or `/api/./…`; every check that goes by the
        # path (the API's below, the forms' CSRF token) must see the one plain spelling.
        return 404, "not-found", "Not found", "No such address (write it without '//', '/./' or '/../')."
    return None


def _has_cookie(headers: dict[str, str], name: str) -> bool:
    # Not a full parse: Python's SimpleCookie stops at the first cookie it cannot read, while the
    # server's own parser reads on; any mention of the name counts, to be safe.
    return re.search(rf"(?:^|[;,\s]){re.escape(name)}\s*=", headers.get("cookie", "")) is not None


def _is_multipart(headers: dict[str, str]) -> bool:
    return headers.get("content-type", "").lower().lstrip().startswith("multipart/")


def _has_body(headers: dict[str, str]) -> bool:
    length = headers.get("content-length", "").strip()
    return (length not in ("", "0")) or "transfer-encoding" in headers


def _is_form(headers: dict[str, str]) -> bool:
    return headers.get("content-type", "").lower().startswith("application/x-www-form-urlencoded")


async def _checked_form(receive: Any) -> tuple[Any, Refusal | None]:
    """Read a form body whole (forms are small), refuse a NUL in it, else hand it on unchanged."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return _replay([message]), None
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > FORM_LIMIT:
            return receive, (413, "too-large", "Request too large", "A form is at most 1 MB.")
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    if b"%00" in body or b"\x00" in body:
        return receive, (400, "bad-request", "Bad request", "Form fields must not contain NUL characters.")
    return _replay([{"type": "http.request", "body": body, "more_body": False}], receive), None


def _replay(messages: list[dict[str, Any]], then: Any = None) -> Any:
    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


async def _problem(scope: dict[str, Any], send: Any, status: int, slug: str, title: str, detail: str) -> None:
    body = json.dumps(
        {
            "type": f"/problems/{slug}",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": scope["path"],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class TooDeep(DomainError):
    slug = "bad-request"
    title = "Bad request"


class JsonRequest(Request[Any, Any, Any]):
    """A request whose JSON nested too deeply for the decoder is refused with 400, not a 500."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise TooDeep("The JSON body is nested too deeply.") from None
