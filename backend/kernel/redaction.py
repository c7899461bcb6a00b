"""Finding a person's name and address in stored text, and putting a placeholder in their place.

Erasure (GDPR Art. 17) replaces a person's name and e-mail address wherever free text or a
stored snapshot holds them; the export (Art. 15) finds the same rows. Both go by one rule: the
whole name or address as a word of its own, in any case, with runs of spaces in the name
matching any space ("Anna  Schmidt" is Anna Schmidt; "Johanna Schmidtke" is not)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

# What an erased name reads as in the tables and in documents rendered again.
ERASED_NAME = "[gelöscht]"
# Reserved for examples (RFC 2606): no mail is ever delivered there; mail.py refuses it anyway.
ERASED_DOMAIN = "erased.example"


def erased_email(kind: str, row_id: int) -> str:
    """A unique, valid address per erased row (unique keys on e-mail columns still hold)."""
    return f"erased-{kind}-{row_id}@{ERASED_DOMAIN}"


def is_erased_email(address: str | None) -> bool:
    return bool(address) and str(address).lower().endswith("@" + ERASED_DOMAIN)


# Shorter names are words of their own too often ("Li", "Bo"): they are not searched for in
# free text, only where a row names the person by its key.
MIN_NAME_LENGTH = 4


class Redactor:
    """One person's names and addresses, found and replaced in text and in JSON values."""

    def __init__(self, names: Iterable[str | None], emails: Iterable[str | None], email_placeholder: str) -> None:
        wanted_names = sorted({" ".join(n.split()) for n in names if n and len(n.strip()) >= MIN_NAME_LENGTH}, key=len)
        wanted_emails = sorted({e.strip().lower() for e in emails if e and e.strip()}, key=len)
        self.names = tuple(reversed(wanted_names))
        self.emails = tuple(reversed(wanted_emails))
        self.email_placeholder = email_placeholder
        # Longest first, so a longer name is replaced whole before a shorter one inside it.
        self._email = self._pattern(map(re.escape, self.emails))
        self._name = self._pattern(r"\s+".join(map(re.escape, n.split())) for n in self.names)

    @staticmethod
    def _pattern(alternatives: Iterable[str]) -> re.Pattern[str] | None:
        parts = [a for a in alternatives if a]
        if not parts:
            return None
        # A word of its own: no letter, digit or address character right before or after.
        return re.compile(r"(?<![\w.+-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)

    @property
    def empty(self) -> bool:
        return self._email is None and self._name is None

    def text(self, value: str) -> str:
        if self._email is not None:
            value = self._email.sub(self.email_placeholder, value)
        if self._name is not None:
            value = self._name.sub(ERASED_NAME, value)
        return value

    def value(self, value: Any) -> Any:
        """The value with every string in it redacted (JSON: dicts, lists, strings, keys kept)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def names_in(self, value: Any) -> bool:
        return self.value(value) != value

    def needles(self) -> list[str]:
        """Lower-case fragments a column's text must contain to be worth a closer look: each
        address, and the longest word of each name (its spacing may differ; a plain-ASCII word
        where there is one, as SQLite's lower() folds only those), as typed and as JSON writes
        it (non-ASCII letters as \\u escapes)."""
        found: set[str] = set()
        words = [max(n.split(), key=lambda w: (w.isascii(), len(w))) for n in self.names]
        for needle in (*self.emails, *words):
            found.add(needle.lower())
            found.add(json.dumps(needle)[1:-1].lower())
        return sorted(found)


def erased_row(row: object) -> str | None:
    """Why a person's row can no longer be changed (a resource's edit guard), or None."""
    if getattr(row, "erased_at", None) is None:
        return None
    return "this person's data was erased (GDPR Art. 17): the record stays nameless and cannot be changed"
