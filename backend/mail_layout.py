"""Plain HTML email layout shared by every mail the app sends.

Tables and inline styles only: clients of German SMEs read mail in Outlook, whose Word
renderer ignores stylesheets and blocks remote images.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape as _html_escape

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


def angle(message_id: str) -> str:
    return f"<{message_id.strip().strip('<>')}>"


def new_message(
    *, subject: str, sender_name: str, sender: str, recipient_name: str, recipient_email: str,
    message_id: str, text: str, html: str,
) -> EmailMessage:
    """A text + HTML message with the headers every mail of ours carries."""
    message = EmailMessage()
    message["Subject"] = one_line(subject)
    message["From"] = Address(display_name=one_line(sender_name), addr_spec=sender)
    message["To"] = Address(display_name=one_line(recipient_name), addr_spec=recipient_email)
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = angle(message_id)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
