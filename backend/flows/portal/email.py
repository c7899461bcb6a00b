"""Portal mails: the sign-in link, and "a new document for you" with its share link."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

from backend.kernel.mail_layout import escape, link, new_message, p, page

TEXT: dict[str, dict[str, str]] = {
    "de": {
        "greeting": "Guten Tag {name},",
        "login_subject": "Ihr Anmeldelink zum Kundenportal · {client}",
        "login_intro": "mit diesem Link melden Sie sich im Kundenportal für {client} an:",
        "login_button": "Im Kundenportal anmelden",
        "login_note": "Der Link gilt {minutes} Minuten und nur für eine Anmeldung. "
        "Wenn Sie ihn nicht angefordert haben, können Sie diese E-Mail ignorieren.",
        "doc_subject": "{document} für {client}",
        "doc_intro": "für „{engagement}“ liegt ein neues Dokument für Sie bereit: {document}.",
        "doc_open": "Dokument öffnen",
        "doc_valid": "Der Link gilt bis {until}.",
        "doc_portal": "Im Kundenportal können Sie es auch ansehen und freigeben",
        "regards": "Viele Grüße",
    },
    "en": {
        "greeting": "Hello {name},",
        "login_subject": "Your sign-in link to the client portal · {client}",
        "login_intro": "use this link to sign in to the client portal for {client}:",
        "login_button": "Sign in to the client portal",
        "login_note": "The link is valid for {minutes} minutes and for one sign-in only. "
        "If you did not ask for it, you can ignore this email.",
        "doc_subject": "{document} for {client}",
        "doc_intro": "a new document for “{engagement}” is ready for you: {document}.",
        "doc_open": "Open the document",
        "doc_valid": "The link is valid until {until}.",
        "doc_portal": "You can also view and approve it in the client portal",
        "regards": "Kind regards",
    },
}


@dataclass(frozen=True)
class Letter:
    """Who writes to whom, in which language."""

    lang: str
    brand: str
    sender: str
    recipient_name: str
    recipient_email: str
    message_id: str

    @property
    def t(self) -> dict[str, str]:
        return TEXT[self.lang if self.lang in TEXT else "de"]

    def compose(self, subject: str, paragraphs: list[tuple[str, str | None]]) -> EmailMessage:
        """`paragraphs`: (text, url) pairs; a url makes the paragraph a link labelled by the text."""
        t = self.t
        opening = t["greeting"].format(name=self.recipient_name)
        closing = [t["regards"], self.brand]
        text_lines = [opening, ""]
        html_rows = [p(escape(opening))]
        for words, url in paragraphs:
            text_lines += [f"{words}: {url}" if url else words, ""]
            html_rows.append(p(link(url, words) if url else escape(words)))
        text_lines += closing
        html_rows.append(p("<br>".join(escape(line) for line in closing)))
        return new_message(
            subject=subject,
            sender_name=self.brand,
            sender=self.sender,
            recipient_name=self.recipient_name,
            recipient_email=self.recipient_email,
            message_id=self.message_id,
            text="\n".join(text_lines) + "\n",
            html=page(self.lang, escape(subject), html_rows),
        )


def login_link_message(letter: Letter, *, client: str, url: str, minutes: int) -> EmailMessage:
    t = letter.t
    return letter.compose(
        t["login_subject"].format(client=client),
        [
            (t["login_intro"].format(client=client), None),
            (t["login_button"], url),
            (t["login_note"].format(minutes=minutes), None),
        ],
    )


def document_message(
    letter: Letter,
    *,
    client: str,
    engagement: str,
    document: str,
    url: str,
    valid_until: str,
    portal_url: str | None,
) -> EmailMessage:
    t = letter.t
    paragraphs: list[tuple[str, str | None]] = [
        (t["doc_intro"].format(engagement=engagement, document=document), None),
        (t["doc_open"], url),
        (t["doc_valid"].format(until=valid_until), None),
    ]
    if portal_url:
        paragraphs.append((t["doc_portal"], portal_url))
    return letter.compose(t["doc_subject"].format(document=document, client=client), paragraphs)
