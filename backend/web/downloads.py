"""PDF downloads, for the API and the pages alike: a signed-in user's (rate-limited per user,
audited for clients) and a share link's (rate-limited per address)."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any
from urllib.parse import quote

from litestar import Response

from backend.domains.audit.service import record
from backend.domains.deliverables import artefacts
from backend.domains.engagements.resources import engagement_service
from backend.flows.acceptance import records
from backend.flows.documents.measurement_plan import measurement_plan, measurement_plan_pdf
from backend.flows.documents.models import Document
from backend.flows.documents.service import pdf_of
from backend.flows.invoicing import datev
from backend.flows.invoicing.resources import file_of
from backend.flows.literacy import certificates, register_files
from backend.flows.portal import sharing
from backend.flows.privacy import export
from backend.flows.privacy.models import SubjectKind
from backend.flows.privacy.record import processing_record_pdf
from backend.kernel.db import utcnow
from backend.kernel.enums import Role
from backend.kernel.ratelimit import hit
from backend.kernel.time import today
from backend.web.handlers import AppRequest
from backend.web.sessions import client_ip


async def download_pdf(db_session: Any, request: AppRequest, document_id: int) -> Response[bytes]:
    """A signed-in user's download, for the API and the portal alike: rate-limited per user,
    and recorded in the audit log when a client fetches it."""
    await _count_download(request)
    document = await pdf_of(db_session, request.user, document_id)
    if request.user.role == Role.client:
        await record(db_session, actor=request.user, action="download", entity_type="document", entity_id=document.id)
    return pdf_response(document)


async def invoice_file(db_session: Any, request: AppRequest, invoice_id: int, kind: str) -> Response[bytes]:
    """An issued invoice's PDF or XML, for the team and (its own, once mailed) for the client:
    rate-limited per user, recorded in the audit log when a client fetches it."""
    await _count_download(request)
    invoice, stored = await file_of(db_session, request.user, invoice_id)
    if request.user.role == Role.client:
        await record(
            db_session, actor=request.user, action=f"download_{kind}", entity_type="invoice", entity_id=invoice.id
        )
    if kind == "pdf":
        return file_response(stored.pdf, f"{invoice.number}.pdf", "application/pdf", etag=stored.pdf_sha256)
    return file_response(stored.xml, f"{invoice.number}.xml", "application/xml", etag=stored.xml_sha256)


async def artefact_file(
    db_session: Any, request: AppRequest, artefact_id: int, *, deliverable_id: int | None = None
) -> Response[bytes]:
    """A deliverable's file, for the team and (once delivered) its client; always a download,
    never shown inline, so an uploaded file cannot act as a page of this site."""
    await _count_download(request)
    artefact, content = await artefacts.file_of(db_session, request.user, artefact_id, deliverable_id=deliverable_id)
    if request.user.role == Role.client:
        await record(db_session, actor=request.user, action="download", entity_type="artefact", entity_id=artefact.id)
    return sandboxed_file(content, artefact)


def sandboxed_file(content: bytes, artefact: Any) -> Response[bytes]:
    """An uploaded file as a download that cannot act as a page of this site."""
    response = file_response(
        content, artefact.name, artefact.content_type or "application/octet-stream", etag=artefact.sha256
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def protocol_file(db_session: Any, request: AppRequest, deliverable_id: int) -> Response[bytes]:
    """A deliverable's Abnahmeprotokoll, for the team and its client."""
    await _count_download(request)
    settings = request.app.state.settings
    acceptance, pdf = await records.protocol_of(db_session, settings, request.user, deliverable_id)
    if request.user.role == Role.client:
        await record(
            db_session,
            actor=request.user,
            action="download_protocol",
            entity_type="deliverable",
            entity_id=deliverable_id,
        )
    name = f"Abnahmeprotokoll-{acceptance.engagement_id}-{deliverable_id}.pdf"
    return file_response(pdf, name, "application/pdf", etag=hashlib.sha256(pdf).hexdigest())


async def datev_file(db_session: Any, request: AppRequest, start: date, end: date) -> Response[bytes]:
    """The issued invoices of a period as DATEV Buchungsstapel, for the API and the pages alike."""
    name = datev.file_name(start, end)
    content = await datev.export(db_session, request.app.state.settings, start, end)
    return file_response(content, name, "text/csv; charset=windows-1252")


async def _count_download(request: AppRequest) -> None:
    """A signed-in user's downloads per minute are limited (DESK_DOWNLOADS_PER_MINUTE)."""
    await hit(
        request.app.state.queue,
        "download",
        f"user:{request.user.id}",
        limit=request.app.state.settings.downloads_per_minute,
        window_seconds=60,
    )


def file_response(
    content: bytes, name: str, media_type: str, *, etag: str | None = None, inline: bool = False
) -> Response[bytes]:
    """A file to download (or, `inline`, to show): never cached by shared caches."""
    headers = {"Content-Disposition": content_disposition(name, inline=inline), "Cache-Control": "private, no-store"}
    if etag:
        headers["ETag"] = f'"{etag}"'
    return Response(content, media_type=media_type, headers=headers)


def content_disposition(name: str, *, inline: bool = False) -> str:
    """ASCII name for old clients, the exact UTF-8 name for the rest (RFC 6266); a quote or
    backslash in a name (an uploaded file's) cannot end the header's string."""
    plain = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in name)
    return f"{'inline' if inline else 'attachment'}; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"


def pdf_response(document: Document, *, inline: bool = False) -> Response[bytes]:
    name = document.filename or f"document-{document.id}.pdf"
    return file_response(document.content or b"", name, "application/pdf", etag=document.sha256, inline=inline)


async def personal_data_file(db_session: Any, request: AppRequest, kind: SubjectKind, subject: Any) -> Response[bytes]:
    """A person's data as a ZIP (GDPR Art. 15), for the API and the pages alike: counted as a download."""
    await _count_download(request)
    content, name = await export.personal_data_zip(db_session, request.user, kind, subject)
    return file_response(content, name, "application/zip")


async def record_file(request: AppRequest, data: dict[str, Any]) -> Response[bytes]:
    """The record of processing activities as PDF/A, counted as a download."""
    await _count_download(request)
    pdf = await processing_record_pdf(data)
    return file_response(pdf, f"Verarbeitungsverzeichnis-{today().isoformat()}.pdf", "application/pdf")


async def measurement_plan_file(db_session: Any, request: AppRequest, engagement_id: int, lang: str) -> Response[bytes]:
    """An engagement's Messkonzept as PDF/A, drawn from today's data, for the team and its client."""
    await _count_download(request)
    engagement = await engagement_service.get(db_session, request.user, engagement_id)
    data = await measurement_plan(db_session, request.app.state.settings, engagement.id, lang, utcnow())
    if request.user.role == Role.client:
        await record(
            db_session, actor=request.user, action="download_plan", entity_type="engagement", entity_id=engagement.id
        )
    pdf = await measurement_plan_pdf(data)
    stem = "Messkonzept" if lang == "de" else "Measurement-plan"
    return file_response(pdf, f"{stem}-{engagement.id}-{today().isoformat()}.pdf", "application/pdf")


async def certificate_file(db_session: Any, request: AppRequest, certificate_id: int) -> Response[bytes]:
    await _count_download(request)
    row = await certificates.certificate_for(db_session, request.user, certificate_id)
    return file_response(row.content or b"", f"{row.serial}.pdf", "application/pdf", etag=row.sha256)


async def register_file(db_session: Any, request: AppRequest, client_id: int, kind: str, lang: str) -> Response[bytes]:
    """A client's AI-literacy register as CSV (German Excel) or PDF/A, counted as a download."""
    await _count_download(request)
    settings = request.app.state.settings
    client, found = await register_files.register_for(db_session, settings, request.user, client_id, as_of=today())
    stem = f"KI-Kompetenz-Register-{client.id}-{found.as_of.isoformat()}"
    if kind == "csv":
        return file_response(register_files.register_csv(found, lang).encode(), f"{stem}.csv", "text/csv")
    pdf = await register_files.register_pdf(settings, client, found, lang)
    return file_response(pdf, f"{stem}.pdf", "application/pdf")


async def open_share_link(db_session: Any, request: AppRequest, token: str) -> Response[bytes]:
    settings = request.app.state.settings
    ip = client_ip(request) or "-"
    await hit(request.app.state.queue, "share-download", ip, limit=settings.downloads_per_minute, window_seconds=60)
    document = await sharing.open_link(db_session, settings, token, ip=ip)
    return pdf_response(document, inline=True)
