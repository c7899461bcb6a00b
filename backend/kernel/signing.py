"""Tokens that carry their own proof: a few numbers and an HMAC over them, so a link shown on a
wall or printed on paper names its row and limits, and a forged or altered one is refused
before any lookup. Each purpose keys its MAC apart (`purpose:secret`), so a token made for one
use (a share link, a check-in, a certificate) never passes as another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

# An id or a Unix time: plain ASCII digits, short enough for SQLite and datetime alike.
_MAX_DIGITS = 18


def mac(secret: str, purpose: str, payload: str, *, size: int = 20) -> str:
    digest = hmac.new(f"{purpose}:{secret}".encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:size]).decode().rstrip("=")


def sign(secret: str, purpose: str, *numbers: int, size: int = 20) -> str:
    """`n1.n2.mac`: the numbers in the clear, the MAC over them."""
    payload = ".".join(str(n) for n in numbers)
    return f"{payload}.{mac(secret, purpose, payload, size=size)}"


def verify(secret: str, purpose: str, token: str, count: int, *, size: int = 20) -> tuple[int, ...] | None:
    """The `count` numbers of an untampered token, else None (limits are the caller's to check)."""
    parts = token.split(".")
    if len(parts) != count + 1:
        return None
    numbers = parts[:count]
    if not all(n.isascii() and n.isdigit() and len(n) <= _MAX_DIGITS for n in numbers):
        return None
    # Bytes: compare_digest refuses a str with non-ASCII characters.
    if not hmac.compare_digest(mac(secret, purpose, ".".join(numbers), size=size).encode(), parts[-1].encode()):
        return None
    return tuple(int(n) for n in numbers)
