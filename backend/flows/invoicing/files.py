"""An issued invoice's files: the CII XML, and the PDF in the house style as PDF/A-3 with that
XML embedded as `factur-x.xml` (ZUGFeRD / Factur-X, profile EN 16931).

Typst writes the PDF/A-3b; Akretion's factur-x library adds the attachment (`/AF`, the
embedded file with AFRelationship /Data) and replaces the XMP packet with one that keeps the
PDF/A identification and adds the Factur-X extension schema a receiving system looks for.
An XRechnung client gets the XML; its PDF is a readable copy without an attachment, since the
XML's XRechnung specification id is not a Factur-X profile.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from facturx import generate_from_binary

from backend.flows.documents.render import RenderError, render, shared_pool
from backend.flows.invoicing import cii
from backend.flows.invoicing.layout import template_data
from backend.kernel.enums import InvoiceFormat
from backend.kernel.errors import Invalid


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The embedding clones the PDF's objects with pypdf: some 100,000 short-lived objects, whose
    allocations set off full garbage collections that walk the whole process heap (85 ms each
    here). Paused for the 14 ms the embedding takes: bench/invoice.py's p95 goes from 170 ms to
    about 40 ms. Nothing it makes is cyclic garbage that has to be collected meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def embed(pdf: bytes, xml: bytes, data: dict[str, Any]) -> bytes:
    seller, number = data["seller"]["name"], data["number"]
    with _collector_paused():
        return _embed(pdf, xml, data, seller, number)


def _embed(pdf: bytes, xml: bytes, data: dict[str, Any], seller: str, number: str) -> bytes:
    return bytes(
        generate_from_binary(
            pdf,
            xml,
            flavor="factur-x",
            level="en16931",
            check_xsd=False,  # cii.build checked it
            pdf_metadata={
                "author": seller,
                "keywords": "Factur-X, ZUGFeRD, Rechnung, Invoice",
                "title": f"{seller}: {number}",
                "subject": f"{number} ({data['issue_date']})",
            },
            lang="de-DE" if data["language"] == "de" else "en-GB",
        )
    )


def make_pdf(data: dict[str, Any], xml: bytes) -> bytes:
    """Blocking: for a thread (see make)."""
    pdf = render("invoice", template_data(data), archival=True)
    return pdf if data["format"] == InvoiceFormat.xrechnung else embed(pdf, xml, data)


async def make(data: dict[str, Any]) -> tuple[bytes, bytes]:
    """(xml, pdf) of an invoice's issued data; a text the PDF/A cannot hold is a 422."""
    xml = cii.build(data)
    try:
        pdf = await shared_pool().run(make_pdf, data, xml)
    except RenderError as exc:
        raise Invalid(
            f"the invoice's PDF/A cannot be made: {exc}",
            errors=[{"path": "lines", "message": f"[PDF/A-3] {exc}", "rule": "PDF/A-3"}],
        ) from exc
    return xml, pdf


async def draft_pdf(data: dict[str, Any]) -> bytes:
    """A draft's look, for the team: the PDF alone (nothing to embed before the XML is checked)."""
    result: bytes = await shared_pool().run(render, "invoice", template_data(data))
    return result
