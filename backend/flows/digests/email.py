"""The weekly status digest as an email: a short summary in the body, the full report as PDF.

The input is the status report's document data (see report_templates/samples/status_report.json),
so the mail says exactly what the attached PDF says. Every figure in it is already formatted.
The HTML part is deliberately plain — tables and inline styles only — because clients of
German SMEs read it in Outlook, which ignores stylesheets and blocks remote images.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

from backend.kernel import i18n
from backend.kernel.mail_layout import FONT, NEUTRAL, new_message
from backend.kernel.mail_layout import escape as _escape
from backend.kernel.mail_layout import link as _link
from backend.kernel.mail_layout import one_line as _one_line
from backend.kernel.mail_layout import p as _p
from backend.kernel.mail_layout import page as _page

# Foreground colours with enough contrast on white for the RAG label.
RAG_COLOURS = {"green": "#1e7b34", "amber": "#b35c00", "red": "#c0392b"}
LIST_KEYS = ("done", "next", "risks")


def digest_message(
    *,
    data: dict,
    recipient_name: str,
    recipient_email: str,
    sender: str,
    pdf: bytes,
    filename: str,
    message_id: str,
    portal_url: str | None = None,
    report_url: str | None = None,
) -> EmailMessage:
    """Compose the digest mail for one recipient, in the report's language.

    `report_url` is a share link to the PDF (for readers whose mail drops attachments),
    `portal_url` the client portal for contacts with portal access.
    """
    digest = Digest(
        data or {}, recipient_name=recipient_name, filename=filename, portal_url=portal_url, report_url=report_url
    )
    message = new_message(
        subject=digest.subject(),
        sender_name=digest.brand,
        sender=sender,
        recipient_name=recipient_name,
        recipient_email=recipient_email,
        message_id=message_id,
        text=digest.text(),
        html=digest.html(),
    )
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    # Last: set_content() and add_attachment() move or drop every Content-* header set before.
    message["Content-Language"] = digest.lang
    return message


class Digest:
    """The data the mail shows, with every optional key already defaulted."""

    def __init__(
        self,
        data: dict[str, Any],
        *,
        recipient_name: str,
        filename: str,
        portal_url: str | None,
        report_url: str | None = None,
    ) -> None:
        self.data = data
        self.lang = i18n.norm_lang(data.get("lang"))
        self.status: dict[str, Any] = data.get("status") or {}
        self.recipient_name = recipient_name.strip()
        self.filename = filename
        self.portal_url = portal_url
        self.report_url = report_url

    # -- fields ------------------------------------------------------------------------------

    @property
    def brand(self) -> str:
        return _text(_section(self.data, "brand").get("name"))

    @property
    def engagement(self) -> str:
        return _text(_section(self.data, "engagement").get("title"))

    @property
    def client(self) -> str:
        return _text(_section(self.data, "client").get("name"))

    @property
    def lead(self) -> str:
        lead = _section(self.data, "engagement").get("lead")
        return _text(lead.get("name")) if isinstance(lead, dict) else ""

    @property
    def rag(self) -> str:
        return _text(self.status.get("rag"))

    @property
    def rag_label(self) -> str:
        return _text(self.status.get("rag_label")) or self.rag

    @property
    def week_line(self) -> str:
        parts = (_text(self.status.get("week_label")), _text(self.status.get("week_of")))
        return " · ".join(p for p in parts if p)

    @property
    def savings(self) -> str:
        """Saved so far, as the week's report states it (absent in reports made before it was)."""
        return _text(self.status.get("savings"))

    def items(self, key: str) -> list[str]:
        return [_text(item) for item in self.status.get(key) or [] if _text(item)]

    def workshops(self) -> list[str]:
        lines = []
        for ws in self.status.get("workshops") or []:
            if not isinstance(ws, dict):
                continue
            details = " · ".join(_text(ws.get(k)) for k in ("when", "location") if _text(ws.get(k)))
            title = _text(ws.get("title"))
            lines.append(f"{title} — {details}" if details else title)
        return [line for line in lines if line]

    def week_number(self) -> int | None:
        match = re.fullmatch(r"\d{4}-W(\d{2})", _text(self.status.get("iso_week")))
        return int(match.group(1)) if match else None

    def t(self, key: str, **values: object) -> str:
        return i18n.say("mail", self.lang, key, **values)

    def greeting(self) -> str:
        if self.recipient_name:
            return self.t("greeting", name=self.recipient_name)
        return self.t("greeting_anonymous")

    def sections(self) -> list[tuple[str, list[str]]]:
        return [(self.t(f"digest_{key}"), self.items(key)) for key in LIST_KEYS] + [
            (self.t("digest_workshops"), self.workshops())
        ]

    def signature(self) -> list[str]:
        return [line for line in (self.lead, self.brand) if line]

    # -- rendering ---------------------------------------------------------------------------

    def subject(self) -> str:
        week = self.week_number()
        head = f"{self.t('digest_subject')} {self.t('digest_week_prefix')} {week}" if week else self.t("digest_subject")
        return _one_line(" · ".join(p for p in (head, self.engagement, self.client) if p))

    def text(self) -> str:
        out = [self.greeting(), "", self.t("digest_intro", engagement=self.engagement), ""]
        out.append(f"{self.t('digest_status')}: {self.rag_label}" + (f" ({self.week_line})" if self.week_line else ""))
        summary = _text(self.status.get("summary"))
        if summary:
            out += ["", summary]
        if self.savings:
            out += ["", self.savings]
        for heading, lines in self.sections():
            out += ["", f"{heading}:"] + ([f"- {line}" for line in lines] or [f"- {self.t('digest_none')}"])
        out += ["", self.t("digest_attachment", filename=self.filename)]
        if self.report_url:
            out.append(f"{self.t('digest_online')}: {self.report_url}")
        if self.portal_url:
            out.append(f"{self.t('digest_portal')}: {self.portal_url}")
        out += ["", self.t("regards"), *self.signature()]
        return "\n".join(out) + "\n"

    def html(self) -> str:
        e = _escape
        rows = [
            _p(e(self.greeting())),
            _p(e(self.t("digest_intro", engagement=self.engagement))),
            self._status_html(),
        ]
        summary = _text(self.status.get("summary"))
        if summary:
            rows.append(_p(e(summary)))
        if self.savings:
            rows.append(_p(f"<strong>{e(self.savings)}</strong>"))
        rows += [_list_html(heading, lines, self.t("digest_none")) for heading, lines in self.sections()]
        rows.append(_p(e(self.t("digest_attachment", filename=self.filename))))
        if self.report_url:
            rows.append(_p(f"{e(self.t('digest_online'))}: {_link(self.report_url)}"))
        if self.portal_url:
            rows.append(_p(f"{e(self.t('digest_portal'))}: {_link(self.portal_url)}"))
        rows.append(_p("<br>".join(e(line) for line in [self.t("regards"), *self.signature()])))
        return _page(self.lang, e(self.subject()), rows)

    def _status_html(self) -> str:
        colour = RAG_COLOURS.get(self.rag, NEUTRAL)
        label = f'<span style="color:{colour};font-weight:bold;">&#9679; {_escape(self.rag_label)}</span>'
        week = f'<br><span style="color:{NEUTRAL};">{_escape(self.week_line)}</span>' if self.week_line else ""
        return _p(f"<strong>{_escape(self.t('digest_status'))}:</strong> {label}{week}")


# -- HTML building blocks ------------------------------------------------------------------------


def _list_html(heading: str, lines: list[str], none: str) -> str:
    title = f'<p style="margin:0 0 4px 0;{FONT}"><strong>{_escape(heading)}</strong></p>'
    if not lines:
        return title + _p(f'<em style="color:{NEUTRAL};">{_escape(none)}</em>')
    items = "".join(f'<li style="margin:0 0 4px 0;">{_escape(line)}</li>' for line in lines)
    return f'{title}<ul style="margin:0;padding-left:20px;{FONT}">{items}</ul>'


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}
