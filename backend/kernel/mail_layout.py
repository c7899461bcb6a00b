"""Plain HTML email layout shared by every mail the app sends.

Tables and inline styles only: clients of German SMEs read mail in Outlook, whose Word
renderer ignores stylesheets and blocks remote images.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape as _html_escape

from backend.kernel.mail import PermanentMailError

FONT = "font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;color:#222222;"
NEUTRAL = "#555555"


def page(lang: str, title: str, rows: list[str]) -> str:
    # One fixed-width table: the layout Outlook's Word renderer reliably gets right.
    body = "\n".join(f'<tr><td style="padding:0 24px 12px 24px;">{row}</td></tr>' for row in rows)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>\n'
        f'<body style="margin:0;padding:0;background:#f4f4f4;">\n'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'style="background:#f4f4f4;"><tr><td align="center" style="padding:16px 0;">\n'
        f'<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" '
        f'style="background:#ffffff;{FONT}">\n'
        f'<tr><td style="padding:24px 24px 0 24px;"></td></tr>\n{body}\n'
        f"</table>\n</td></tr></table>\n</body></html>\n"
    )


def p(inner: str) -> str:
    return f'<p style="margin:0;{FONT}">{inner}</p>'


def link(url: str, label: str | None = None) -> str:
    # Only web links become clickable: a `javascript:` URL must not turn into an href.
    if re.match(r"https?://", url, re.IGNORECASE):
        return f'<a href="{escape(url)}" style="color:#1a5fb4;">{escape(label or url)}</a>'
    return escape(url)


def escape(value: str) -> str:
    return _html_escape(value, quote=True)


def one_line(value: str) -> str:
    # Header values must not contain line breaks; user-entered titles sometimes do.
    return re.sub(r"\s+", " ", value).strip()


# Characters that end an unquoted display name (RFC 5322 "specials").
_SPECIALS = set('()<>[]:;@\\,."')
_LINE = 78  # RFC 5322's recommended line length
_LONGEST_WORD = 60  # longer words are encoded, which splits them over lines


def address_header(header: str, display_name: str, addr_spec: str) -> str:
    """The value of an address header that every reader parses back to this one name and
    address. Python's own folding of a long display name can drop its quotes, and a comma or a
    "Bcc:" in a contact's name then reads as further addresses; so the value is built and folded
    here and stored with `set_raw` (backend.kernel.mail's wire policy leaves it as it is). A printable ASCII name
    becomes a quoted string (folded at its spaces, which unfolding gives back exactly); in any
    other name, the non-ASCII words become RFC 2047 encoded words."""
    display_name = one_line(display_name)
    try:
        address = f"<{Address(addr_spec=addr_spec).addr_spec}>"  # validates: no specials in the address
    except ValueError:
        address = ""
    if not address.isascii() or not address:
        # Stored before addresses were held to ASCII: no header can carry it, for this recipient.
        # (Not named here: messages end up in logs, addresses must not.)
        raise PermanentMailError(f"the {header} address cannot be written in a mail header")
    if not display_name:
        return address[1:-1]
    used = len(header) + 2
    if display_name.isascii() and display_name.isprintable() and "=?" not in display_name:
        phrase = _quoted(display_name) if _SPECIALS & set(display_name) else display_name
        folded = _fold([*phrase.split(" "), address], used)
        if folded is not None:
            return folded
    # Every token fits a line; only an address longer than a line (legal, not seen) stays long.
    return _fold([*_phrase(display_name), address], used) or "\n ".join([*_phrase(display_name), address])


def _phrase(name: str) -> list[str]:
    """The name's words as tokens: a plain ASCII word as it is, one with specials quoted, and
    each run of non-ASCII words as encoded words. Readers join adjacent encoded words without the
    space between them (RFC 2047, 6.2) while Python's parser keeps it, so a run is encoded whole,
    spaces included, and only a run longer than one encoded word (45 bytes) is split."""
    tokens: list[str] = []
    run: list[str] = []
    for word in [*name.split(" "), None]:
        plain = word is not None and word.isascii() and word.isprintable() and "=?" not in word
        if word is not None and (not plain or len(word) > _LONGEST_WORD):
            run.append(word)
            continue
        if run:
            tokens += _encoded_words(" ".join(run))
            run = []
        if word is not None:
            tokens.append(_quoted(word) if _SPECIALS & set(word) else word)
    return tokens


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fold(words: list[str], used: int) -> str | None:
    """Words joined by single spaces, a line break before a space wherever a line would grow past
    the limit; None if one word alone is too long for a line."""
    lines, line = [], ""
    for word in words:
        if line and used + len(line) + 1 + len(word) > _LINE:
            lines.append(line)
            line, used = "", 0
        line = f"{line} {word}" if line or lines else word
        if used + len(line) > _LINE:
            return None
    return "\n".join([*lines, line])


def _encoded_words(text: str) -> list[str]:
    """Base64 encoded words of at most 45 bytes of UTF-8 each (72 characters: "From: " and one
    fit a line), split between characters, never inside one."""
    words, chunk = [], b""
    for char in text:
        encoded = char.encode()
        if len(chunk) + len(encoded) > 45:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(word).decode()}?=" for word in words]


def angle(message_id: str) -> str:
    return f"<{message_id.strip().strip('<>')}>"


def subject_header(subject: str) -> str:
    """The Subject value, written here: Python's header parsing would decode an encoded word a
    client's or engagement's name contains (and on some Python versions write a line break out
    of it: another header, or a body of the sender's choosing). Plain printable ASCII without
    "=?" is folded at its spaces; anything else becomes base64 encoded words, which a reader
    decodes once, to exactly this text."""
    subject = one_line(subject)
    used = len("Subject") + 2
    if subject.isascii() and subject.isprintable() and "=?" not in subject:
        folded = _fold(subject.split(" "), used)
        if folded is not None:
            return folded
    return "\n ".join(_encoded_words(subject))


def new_message(
    *,
    subject: str,
    sender_name: str,
    sender: str,
    recipient_name: str,
    recipient_email: str,
    message_id: str,
    text: str,
    html: str,
) -> EmailMessage:
    """A text + HTML message with the headers every mail of ours carries."""
    message = EmailMessage()
    message.set_raw("Subject", subject_header(subject))
    message.set_raw("From", address_header("From", sender_name, sender))
    message.set_raw("To", address_header("To", recipient_name, recipient_email))
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = angle(message_id)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def notice(*, lang: str, title: str, lines: list[str], link_label: str, url: str, **headers: str) -> EmailMessage:
    """A short notice to the team (a budget alert, a client's answer): its paragraphs and a link,
    as text and as HTML; `headers` as for new_message."""
    return new_message(
        text="\n\n".join([*lines, f"{link_label}: {url}"]) + "\n",
        html=page(lang, title, [*map(p, map(escape, lines)), p(link(url, link_label))]),
        **headers,
    )
