"""Finding a person's name and address in stored text, and putting a placeholder in their place.

Erasure (GDPR Art. 17) replaces a person's name and e-mail address wherever free text or a
stored snapshot holds them; the export (Art. 15) finds the same rows. Both go by one rule: the
whole name or address as a word of its own, in any case, with runs of spaces in the name
matching any space ("Anna  Schmidt" is Anna Schmidt; "Johanna Schmidtke" is not)."""

from __future__ import annotations

import json
import re
import unicodedata
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


# A name is searched for in text only when it has at least two words of at least two letters
# ("Anna Schmidt", not "Support" or "Li"): one word alone is too often an ordinary one (a role
# mailbox named "Support" would otherwise erase the process area "support").
MIN_NAME_WORDS = 2

# Invisible characters that split a word without showing (soft hyphen, zero-width space and
# joiners, word joiner, byte order mark): gone before names are compared.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_TITLES = r"(?:Frau|Herrn?|Fr\.|Hr\.|Mrs?\.?|Ms\.?|Dr\.)"


def normalized(text: str) -> str:
    """One spelling of what a reader sees: composed characters (NFC), invisible ones removed."""
    return unicodedata.normalize("NFC", text).translate(_INVISIBLE)


def name_words(name: str) -> list[str]:
    return normalized(name).split()


def searchable(name: str | None) -> bool:
    return bool(name) and len([w for w in name_words(name or "") if len(w) >= 2]) >= MIN_NAME_WORDS


def _spellings(name: str) -> list[str]:
    """A name as people write it: as given, with umlauts spelled out (Müller, Mueller; Weiß,
    Weiss), last name first ("Weiß, Jürgen") and with a title before the last name ("Frau
    Müller", "Herr Weiß"), each a pattern whose spaces match any space."""
    words = name_words(name)
    forms = {" ".join(words), " ".join(words).translate(_SPELLED_OUT)}
    patterns = set()
    for form in forms:
        parts = form.split()
        patterns.add(r"\s+".join(map(re.escape, parts)))
        patterns.add(re.escape(parts[-1]) + r",\s*" + r"\s+".join(map(re.escape, parts[:-1])))
        patterns.add(_TITLES + r"\s+" + re.escape(parts[-1]))
    return sorted(patterns, key=len, reverse=True)


class Redactor:
    """One person's names and addresses, found and replaced in text and in JSON values."""

    def __init__(
        self,
        names: Iterable[str | None],
        emails: Iterable[str | None],
        email_placeholder: str,
        phones: Iterable[str | None] = (),
    ) -> None:
        self.names = tuple(
            sorted({" ".join(name_words(n)) for n in names if n and searchable(n)}, key=len, reverse=True)
        )
        self.emails = tuple(sorted({e.strip().lower() for e in emails if e and e.strip()}, key=len, reverse=True))
        self.phones = tuple(sorted({p.strip() for p in phones if p and sum(c.isdigit() for c in p) >= 6}))
        self.email_placeholder = email_placeholder
        # Longest first, so a longer form is replaced whole before a shorter one inside it.
        self._email = self._pattern(map(re.escape, self.emails))
        self._name = self._pattern(pattern for name in self.names for pattern in _spellings(name))
        self._phone = self._pattern(map(re.escape, self.phones))

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
        found = normalized(value)
        if self._email is not None:
            found = self._email.sub(self.email_placeholder, found)
        if self._name is not None:
            found = self._name.sub(ERASED_NAME, found)
        if self._phone is not None:
            found = self._phone.sub(ERASED_NAME, found)
        # Unchanged unless it named the person: a text is not rewritten for its spelling alone.
        return value if found == normalized(value) else found

    def value(self, value: Any) -> Any:
        """The value with every string in it redacted (JSON: dicts, lists, strings, keys kept);
        in a record that named the person, its other details of them (position, phone) go too."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            redacted = {k: self.value(v) for k, v in value.items()}
            if any(redacted[k] != value[k] for k in ("name", "email") if k in value and isinstance(value[k], str)):
                redacted.update({k: None for k in ("position", "phone") if k in redacted})
            return redacted
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def names_in(self, value: Any) -> bool:
        return self.value(value) != value

    def needles(self) -> list[str]:
        """Lower-case fragments a column's text must contain to be worth a closer look: each
        address, and of each name the longest run of plain ASCII letters in its longest word
        (SQLite's lower() folds only ASCII; "rgen" finds Jürgen, JÜRGEN and Juergen alike), as
        typed and as JSON writes it (non-ASCII letters as \\u escapes)."""
        found: set[str] = set()
        fragments = []
        for name in self.names:
            runs = [r for word in name.split() for r in re.findall(r"[A-Za-z]+", word)]
            if runs:
                fragments.append(max(runs, key=len))
        for needle in (*self.emails, *fragments, *self.phones):
            found.add(needle.lower())
            found.add(json.dumps(needle)[1:-1].lower())
        return sorted(found)


def erased_row(row: object) -> str | None:
    """Why a person's row can no longer be changed (a resource's edit guard), or None."""
    if getattr(row, "erased_at", None) is None:
        return None
    return "this person's data was erased (GDPR Art. 17): the record stays nameless and cannot be changed"
