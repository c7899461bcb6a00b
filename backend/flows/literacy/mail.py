"""The certificate's mail to its participant, with the PDF, sent once (kernel/delivery.py)."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.literacy.models import Participant
from backend.domains.workshops.models import Workshop
from backend.flows.literacy.certificates import verification_path
from backend.flows.literacy.models import Certificate, CertificateMail
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.delivery import deliver
from backend.kernel.formatting import Formatter
from backend.kernel.mail import Mailer
from backend.kernel.mail_layout import notice
from backend.kernel.queue import SentLedger
from backend.kernel.time import BERLIN


async def send_certificate(
    maker: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer, ledger: SentLedger, mail_id: int
) -> str:
    async with maker() as session:
        row = await session.get(CertificateMail, mail_id)
        certificate = await session.get(Certificate, row.certificate_id) if row else None
        person = await session.get(Participant, certificate.participant_id) if certificate else None
        workshop = await session.get(Workshop, certificate.workshop_id) if certificate else None
    if row is None or certificate is None or person is None or workshop is None or certificate.content is None:
        return "gone"
    if person.email != row.email or certificate.revoked_at is not None:
        return "stale"  # the address changed, or the certificate was withdrawn, before it went
    lang, pdf, serial = certificate.language, certificate.content, certificate.serial

    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    day = Formatter(lang).date(workshop.starts_at.astimezone(BERLIN).date())

    def compose(message_id: str) -> EmailMessage:
        message = notice(
            lang=lang,
            title=say("certificate_title"),
            lines=[
                say("greeting", name=person.name),
                say("certificate_intro", title=workshop.title, date=day),
                say("certificate_verify"),
            ],
            link_label=say("certificate_link"),
            url=settings.link(verification_path(settings.secret_key, certificate.id or 0)),
            subject=say("certificate_subject", title=workshop.title),
            sender_name=settings.brand_name,
            sender=settings.mail_from,
            recipient_name=person.name,
            recipient_email=row.email,
            message_id=message_id,
        )
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{serial}.pdf")
        return message

    return await deliver(maker, settings, ledger, mailer, row, "certificate", compose)
