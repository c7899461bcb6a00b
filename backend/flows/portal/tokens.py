"""Secrets in URLs: random single-use sign-in tokens and signed share-link tokens.

A sign-in token is 256 random bits; the database keeps only its SHA-256, so a leaked
database cannot be turned into working links. A share-link token names its row and expiry
and carries an HMAC over both, so a forged or altered link is refused before any lookup,
and revocation stays a database flag.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime


def new_login_token() -> tuple[str, str]:
    """(token for the URL, hash for the database)."""
    token = secrets.token_urlsafe(32)
    return token, hash_login_token(token)


def hash_login_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ShareClaim:
    link_id: int
    expires_at: datetime


def _mac(secret: str, payload: str) -> str:
    # Domain-separated from the JWT signing, which uses the same secret.
    digest = hmac.new(f"share-link:{secret}".encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def sign_share(secret: str, link_id: int, expires_at: datetime) -> str:
    payload = f"{link_id}.{int(expires_at.timestamp())}"
    return f"{payload}.{_mac(secret, payload)}"


def read_share(secret: str, token: str) -> ShareClaim | None:
    """The claim of an untampered token, else None (expiry is checked by the caller)."""
    parts = token.split(".")
    if len(parts) != 3 or not (parts[0] + parts[1]).isascii() or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    payload = f"{parts[0]}.{parts[1]}"
    # Bytes: compare_digest refuses a str with non-ASCII characters.
    if not hmac.compare_digest(_mac(secret, payload).encode(), parts[2].encode()):
        return None
    try:
        return ShareClaim(int(parts[0]), datetime.fromtimestamp(int(parts[1]), UTC))
    except (OverflowError, ValueError, OSError):
        return None
