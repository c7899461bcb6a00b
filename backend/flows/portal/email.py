"""Portal mails: the sign-in link, and "a new document for you" with its share link."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

from backend.kernel import i18n
from backend.kernel.mail_layout import escape, link, new_message, p, page


@dataclass(frozen=True)
class Letter:
    """Who writes to whom, in which language."""

    lang: str
    brand: str
    sender: str
    recipient_name: str
    recipient_email: str
    message_id: str

    def t(self, key: str, **values: object) -> str:
        return i18n.say("mail", self.lang, key, **values)

    def compose(self, subject: str, paragraphs: list[tuple[str, str | None]]) -> EmailMessage:
        """`paragraphs`: (text, url) pairs; a url makes the paragraph a link labelled by the text."""
        opening = self.t("greeting", name=self.recipient_name)
        closing = [self.t("regards"), self.brand]
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
        t("portal_login_subject", client=client),
        [
            (t("portal_login_intro", client=client), None),
            (t("portal_login_button"), url),
            (t("portal_login_note", minutes=minutes), None),
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
        (t("portal_doc_intro", engagement=engagement, document=document), None),
        (t("portal_doc_open"), url),
        (t("portal_doc_valid", until=valid_until), None),
    ]
    if portal_url:
        paragraphs.append((t("portal_doc_portal"), portal_url))
    return letter.compose(t("portal_doc_subject", document=document, client=client), paragraphs)
