"""The lead consultant hears of the client's answer to a time statement: one mail, exactly once
(kernel/delivery.py), with the objections line by line when the client disputed it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Client
from backend.domains.engagements.models import Engagement
from backend.domains.engagements.service import with_lead
from backend.flows.documents.models import Document
from backend.flows.documents.time_statement import stated_lines
from backend.flows.portal.models import StatementDecision
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.delivery import deliver
from backend.kernel.formatting import Formatter
from backend.kernel.mail import Mailer
from backend.kernel.mail_layout import notice
from backend.kernel.queue import SentLedger


async def send_answer(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    mailer: Mailer,
    ledger: SentLedger,
    decision_id: int,
) -> str:
    """Mail one answer to the lead; a second run, or one after a worker died, sends nothing the
    first one sent. Returns what happened."""
    async with maker() as session:
        decision = await session.get(StatementDecision, decision_id)
        document = await session.get(Document, decision.document_id) if decision else None
        led = await with_lead(session, decision.engagement_id) if decision else None
    if decision is None or document is None or led is None or not decision.email:
        return "gone"
    engagement, client, lead_name = led
    return await deliver(
        maker,
        settings,
        ledger,
        mailer,
        decision,
        "statement-answer",
        lambda message_id: _message(settings, decision, document, engagement, client, lead_name, message_id),
    )


def _message(
    settings: Settings,
    decision: StatementDecision,
    document: Document,
    engagement: Engagement,
    client: Client,
    lead_name: str,
    message_id: str,
    lang: str = "de",  # the team's language, as for budget alerts
) -> Any:
    fmt = Formatter(lang)

    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    data = document.data_snapshot or {}
    stated = data.get("statement", {})
    names = {
        "name": decision.typed_name or say("statement_someone"),
        "client": client.name,
        "number": data.get("document", {}).get("number", f"v{document.number}"),
        "period": stated.get("period", ""),
        "when": fmt.datetime(decision.decided_at),
    }
    kind = "statement_approved" if decision.decision == "approved" else "statement_disputed"
    lines = [say("greeting", name=lead_name) if lead_name else say("greeting_anonymous")]
    if decision.decision == "approved":
        lines.append(say("statement_approved_intro", hours=stated.get("total", {}).get("hours", ""), **names))
    else:
        by_position = {line["pos"]: line for line in stated_lines(data)}
        lines.append(say("statement_disputed_intro", **names))
        for objection in decision.disputed or []:
            line = by_position.get(objection["position"], {})
            lines.append(
                say(
                    "statement_disputed_line",
                    n=objection["position"],
                    date=line.get("date", ""),
                    what=line.get("description", ""),
                    reason=objection["reason"],
                )
            )
        lines.append(say("statement_disputed_next"))
    return notice(
        lang=lang,
        title=say(f"{kind}_title"),
        lines=lines,
        link_label=say("statement_link"),
        url=settings.link(f"/engagements/{engagement.id}#documents"),
        subject=say(f"{kind}_subject", engagement=engagement.title, client=client.name),
        sender_name=settings.brand_name,
        sender=settings.mail_from,
        recipient_name=lead_name,
        recipient_email=decision.email or "",
        message_id=message_id,
    )
