"""Secrets in URLs: random single-use sign-in tokens and signed share-link tokens.

A sign-in token is 256 random bits; the database keeps only its SHA-256, so a leaked
database cannot be turned into working links. A share-link token names its row and expiry
and carries an HMAC over both, so a forged or altered link is refused before any lookup,
and revocation stays a database flag.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.kernel.signing import sign, verify


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


def sign_share(secret: str, link_id: int, expires_at: datetime) -> str:
    return sign(secret, "share-link", link_id, int(expires_at.timestamp()))


def read_share(secret: str, token: str) -> ShareClaim | None:
    """The claim of an untampered token, else None (expiry is checked by the caller)."""
    numbers = verify(secret, "share-link", token, 2)
    if numbers is None:
        return None
    try:
        return ShareClaim(numbers[0], datetime.fromtimestamp(numbers[1], UTC))
    except (OverflowError, ValueError, OSError):
        return None
