"""A person's data as they may ask for it (GDPR Art. 15): one ZIP with every row that names them
as JSON, the stored files among those rows (documents, certificates, protocols, invoices) and a
note on what the data is for, who receives it and how long it is kept."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.principals import Actor
from backend.flows.privacy.inventory import LAWS, SECRETS, binary_columns, row_id
from backend.flows.privacy.models import Basis, SubjectKind
from backend.flows.privacy.search import Hits, person_of, rows_naming
from backend.kernel.db import utcnow
from backend.kernel.enums import Role

# A person's own records, shown whole in their own copy (portal users fetch it themselves).
OWN_RECORDS = frozenset(
    {
        "contacts",
        "users",
        "participants",
        "portal_login_links",
        "auth_sessions",
        "digest_deliveries",
        "share_links",
        "workshop_attendees",
        "proposal_acceptances",
        "proposal_declines",
        "dpa_acceptances",
        "statement_decisions",
        "deliverable_acceptances",
        "deliverable_acceptance_requests",
        "literacy_reminders",
        "attendances",
        "guideline_acknowledgements",
        "guideline_invitations",
        "ai_system_users",
    }
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# The ZIP's explanation, in the person's language (a contact's; German otherwise).
_NOTES = {
    "de": """Auskunft nach Art. 15 DSGVO

personal-data.json enthält jeden Datensatz, der Sie nennt: Ihre eigenen Datensätze (Kontakt,
Portalzugang, Teilnahme an Workshops) und jede Zeile, die auf diese verweist oder Ihren Namen oder
Ihre E-Mail-Adresse enthält, Tabelle für Tabelle. {files_de}

Zwecke: die Durchführung des mit Ihrem Arbeitgeber vereinbarten Beratungsauftrags (Art. 6 Abs. 1
lit. b, f DSGVO): Workshops, Piloten, Berichte, das Kundenportal, die Abrechnung und der Nachweis
der KI-Kompetenz (Art. 4 KI-Verordnung).
Empfänger: das Team der Beratung; die Ansprechpartner Ihres Arbeitgebers im Portal; Mail- und
Hosting-Dienstleister im Auftrag der Beratung (Art. 28 DSGVO).
Speicherdauer: für den Auftrag und nach den Löschfristen; Verträge und Annahmen {hgb} Jahre,
Rechnungen und ihre Grundlagen {ao} Jahre nach Ende ihres Jahres, wie das Gesetz es verlangt
(§ 257 HGB, § 147 AO).
Ihre Rechte: Berichtigung (Art. 16), Löschung (Art. 17), Einschränkung (Art. 18), Widerspruch
(Art. 21) und Beschwerde bei einer Aufsichtsbehörde (Art. 77).
""",
    "en": """Access under Art. 15 GDPR

personal-data.json lists every record that names you: your own records (contact, portal account,
workshop participant) and every row that refers to them or mentions your name or e-mail address,
table by table. {files_en}

Purposes: carrying out the consulting engagement agreed with your employer (Art. 6 (1)(b), (f)
GDPR): workshops, pilots, reports, the client portal, invoicing, the evidence of AI literacy
(EU AI Act Art. 4).
Recipients: the consultancy's team; your employer's contacts in the portal; mail and hosting
providers acting on the consultancy's behalf (Art. 28 GDPR).
Storage: for the engagement and as retention rules set; contracts and acceptances {hgb} years,
invoices and what they are booked on {ao} years after the end of their year, as the law requires
(§ 257 HGB, § 147 AO).
Your rights: rectification (Art. 16), erasure (Art. 17), restriction (Art. 18), objection
(Art. 21), and a complaint to a supervisory authority (Art. 77).
""",
}
_FILES = {
    "de": (
        "files/ enthält die gespeicherten Dokumente darunter.",
        "Dokumente gehören nicht zu dieser Kopie: die vollständige Auskunft mit ihnen erhalten Sie "
        "auf Anfrage vom Team.",
    ),
    "en": (
        "files/ holds the stored documents among them.",
        "Documents are not part of this copy: the team hands over the full copy with them on request.",
    ),
}


def _note(lang: str, own_copy: bool) -> str:
    lang = lang if lang in _NOTES else "de"
    files = _FILES[lang][1 if own_copy else 0]
    years = {"hgb": LAWS[Basis.hgb_257].years, "ao": LAWS[Basis.ao_147].years}
    return _NOTES[lang].format(files_de=files, files_en=files, **years)


async def personal_data_zip(session: AsyncSession, actor: Actor, kind: SubjectKind, subject: Any) -> tuple[bytes, str]:
    """The ZIP and its file name; the export is recorded in the audit log (without its content)."""
    person = await person_of(session, kind, subject)
    hits = await rows_naming(session, person, person.redactor())
    # A client user's own copy holds what the portal shows them: the rows that are theirs, and of
    # others only that they refer to them; the full copy (the team's notes, documents not sent)
    # is the team's to hand over, read first (Art. 15 (4)).
    own_copy = getattr(actor, "role", None) == Role.client
    now = utcnow()
    tables: dict[str, list[dict[str, Any]]] = {}
    for table_name, rows in sorted(hits.items()):
        hidden = SECRETS.get(table_name, frozenset())
        shown = []
        for _, hit in sorted(rows.items()):
            if own_copy and not hit.keys:
                continue
            found_by = sorted(hit.keys | {f"text:{c}" for c in hit.text})
            if own_copy and table_name not in OWN_RECORDS:
                shown.append({"id": row_id(SQLModel.metadata.tables[table_name], hit.row), "_found_by": found_by})
                continue
            shown.append({**{k: _plain(v) for k, v in hit.row.items() if k not in hidden}, "_found_by": found_by})
        if shown:
            tables[table_name] = shown
    files = [] if own_copy else await _files(session, hits)
    body = {
        "generated_at": now.isoformat(),
        "subject": {"kind": kind, "id": subject.id, "client_id": person.client_id},
        "records": [{"kind": k, "id": row.id} for k, row in person.rows()],
        "tables": tables,
        "files": [{"path": path, "table": t, "id": i} for path, t, i, _ in files],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("personal-data.json", json.dumps(body, ensure_ascii=False, indent=2, default=str))
        language = next(
            (getattr(row, "language", None) for _, row in person.rows() if getattr(row, "language", None)), "de"
        )
        archive.writestr("README.txt", _note(str(language), own_copy))
        for path, _, _, content in files:
            archive.writestr(path, content)
    await record(
        session,
        actor=actor,
        action="export_personal_data",
        entity_type=kind.value,
        entity_id=subject.id,
        after={"tables": len(tables), "rows": sum(len(r) for r in tables.values()), "files": len(files)},
    )
    return buffer.getvalue(), f"personal-data-{kind.value}-{subject.id}-{now:%Y%m%d}.zip"


async def _files(session: AsyncSession, hits: Hits) -> list[tuple[str, str, int, bytes]]:
    """The stored files in the rows found: (path in the ZIP, table, row id, bytes)."""
    found: list[tuple[str, str, int, bytes]] = []
    for table_name, rows in sorted(hits.items()):
        table = SQLModel.metadata.tables[table_name]
        blobs = binary_columns(table)
        if not blobs:
            continue
        key = list(table.primary_key.columns)[0]
        stmt = select(key, *blobs).where(key.in_(sorted(rows))).order_by(key)
        for row in (await session.exec(stmt)).all():  # type: ignore[call-overload]
            for column, content in zip(blobs, row[1:], strict=True):
                if content:
                    found.append(
                        (f"files/{table_name}-{row[0]}-{column.name}.{_suffix(content)}", table_name, row[0], content)
                    )
    return found


def _suffix(content: bytes) -> str:
    if content.startswith(b"%PDF"):
        return "pdf"
    if content.lstrip().startswith(b"<"):
        return "xml"
    return "bin"
