"""Builds the JSON a template receives: every figure already formatted for the reader.

One function per document kind; each loads what it needs in a fixed number of queries and
returns plain JSON data, which is also stored with the document as its snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.clients.models import LEVERS, Client, Contact
from backend.domains.clients.service import readiness_comparison
from backend.domains.deliverables.models import Deliverable, DeliverableStatus
from backend.domains.engagements.models import Engagement, EngagementRead, PricingModel, StatusUpdate
from backend.domains.engagements.offer import ItemKind, ItemUnit, ProposalItem, items_of
from backend.domains.pilots.confidence import Certainty, cases_needed
from backend.domains.pilots.models import Measurement
from backend.domains.pilots.results import KpiResult, ResultStatus, ReturnStatus
from backend.domains.pilots.results_read import current_measurements
from backend.domains.pilots.service import (
    PilotEvidence,
    engagement_evidence,
    engagement_totals,
    results_of,
)
from backend.domains.timesheets.burn import Burn, BurnBasis, BurnState
from backend.domains.timesheets.reading import engagement_burn
from backend.domains.workshops.models import Workshop
from backend.flows.documents.legal import LegalKind, LegalText, legal_text
from backend.flows.documents.models import DocumentKind
from backend.flows.documents.sub_processors import processor_rows, processors_of
from backend.flows.documents.sustained import sustained_rows
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.db import select_all, utcnow
from backend.kernel.errors import NotFound
from backend.kernel.formatting import UNIT_SYMBOLS, Formatter
from backend.kernel.money import round_money
from backend.kernel.time import BERLIN, monday_of
from backend.kernel.time import today as berlin_today


def words(lang: str) -> Mapping[str, Any]:
    return i18n.words("document", lang)


def say(lang: str, key: str, **values: object) -> str:
    return i18n.say("document", lang, key, **values)


def field_list(lang: str, fields: Sequence[str]) -> str:
    names = words(lang)["fields"]
    return ", ".join(names.get(f, f) for f in fields)


_SHORT_ENDING = re.compile(r" (\S{1,3})$")


def unbroken_ending(text: str) -> str:
    """Keeps a short last word ("Raum 1", "Halle B") on the line of the word before it."""
    return _SHORT_ENDING.sub("\u00a0\\1", text.strip())


PREFIXES = {
    DocumentKind.proposal: "ANG",
    DocumentKind.result_report: "ERG",
    DocumentKind.status_report: "STA",
    DocumentKind.time_statement: "LN",
    DocumentKind.dpa: "AVV",
}


def document_number(kind: DocumentKind, engagement_id: int, number: int, suffix: str = "") -> str:
    """ "ANG-0007-3", "STA-0007-2026-W48-2", "LN-0007-2026-11-1": what a version is called."""
    return f"{PREFIXES[kind]}-{engagement_id:04d}{suffix}-{number}"


@dataclass(frozen=True)
class Context:
    """What every document of one engagement shares."""

    engagement: Engagement
    client: Client
    contacts: list[Contact]
    lead: User | None
    fmt: Formatter
    settings: Settings

    @property
    def lang(self) -> str:
        return self.fmt.lang

    def week_start(self, week: int) -> date:
        return self.engagement.start_date + timedelta(weeks=week - 1)


async def load_context(session: AsyncSession, engagement_id: int, lang: str, settings: Settings) -> Context:
    engagement = await session.get(Engagement, engagement_id)
    if engagement is None:
        raise NotFound(f"engagement {engagement_id} not found")
    client = await session.get(Client, engagement.client_id)
    contacts = await select_all(session, Contact, Contact.client_id == engagement.client_id)
    lead = await session.get(User, engagement.lead_consultant_id) if engagement.lead_consultant_id else None
    assert client is not None
    return Context(engagement, client, contacts, lead, Formatter(lang), settings)


_MARKER = re.compile(r"^\s*(?:[-•*–]|\d{1,2}[.)])\s+")


def lines(text: str | None) -> list[str]:
    """Free text as bullet points: one per non-empty line, list markers ("-", "1.") removed."""
    return [_MARKER.sub("", line).strip() for line in (text or "").splitlines() if line.strip()]


def brand(settings: Settings) -> dict[str, Any]:
    logo = Path(settings.brand_logo_svg).read_text() if settings.brand_logo_svg else None
    return {
        "name": settings.brand_name,
        "address_lines": [settings.brand_street, f"{settings.brand_postal_code} {settings.brand_city}"],
        "email": settings.brand_email,
        "phone": settings.brand_phone,
        "website": settings.brand_website,
        "vat_id": settings.brand_vat_id,
        "register": settings.brand_register,
        "managing_director": settings.brand_managing_director,
        "bank": {"name": settings.brand_bank_name, "iban": settings.brand_iban, "bic": settings.brand_bic},
        "logo_svg": logo,
    }


def addressee(contacts: list[Contact]) -> Contact | None:
    """Who a document is addressed to: the portal contact, else the AI owner, else anyone."""
    for wanted in (lambda c: c.portal_access, lambda c: c.is_ai_owner, lambda c: c.erased_at is None):
        for contact in contacts:
            if wanted(contact):
                return contact
    return None


def signer(contact: Contact | None) -> dict[str, Any] | None:
    """Who signs for the client, as a record: an erasure that blanks the name blanks the position
    with it (kernel/redaction.py), which a composed "name, position" line would keep."""
    return {"name": contact.name, "position": contact.position} if contact else None


def common(
    ctx: Context, kind: DocumentKind, number: int, today: date, now: datetime, suffix: str = ""
) -> dict[str, Any]:
    fmt, engagement, client = ctx.fmt, ctx.engagement, ctx.client
    contact = addressee(ctx.contacts)
    read = EngagementRead.model_validate(engagement)
    return {
        "lang": ctx.lang,
        "brand": brand(ctx.settings),
        "document": {
            "kind": kind.value,
            "title": say(ctx.lang, kind.value),
            "number": document_number(kind, engagement.id, number, suffix),
            "version": number,
            "date": fmt.date(today),
            "generated_at": fmt.datetime(now),
            # The team's own texts are in its language; a document in another one says so.
            "team_language": ctx.settings.team_language if ctx.lang != ctx.settings.team_language else None,
        },
        "client": {
            "name": client.name,
            "address_lines": [
                x for x in (client.street, " ".join(filter(None, (client.postal_code, client.city)))) if x
            ],
            "contact": {"name": contact.name, "position": contact.position} if contact else None,
        },
        "engagement": {
            "title": engagement.title,
            "start": fmt.date(engagement.start_date),
            "end": fmt.date(read.end_date),
            "weeks": engagement.duration_weeks,
            "lead": {"name": ctx.lead.full_name, "email": ctx.lead.email} if ctx.lead else None,
        },
    }


# -- proposal --------------------------------------------------------------------------------


def _week_label(ctx: Context, week: int) -> str:
    """Woche 1 · KW 45 · 02.11.–08.11.2026"""
    return f"{say(ctx.lang, 'week', n=week)} · {ctx.fmt.iso_week_range(ctx.week_start(week))}"


def _scope(
    ctx: Context, workshops: list[Workshop], pilots: list[PilotEvidence], deliverables: list[Deliverable]
) -> list[dict[str, Any]]:
    w, fmt = words(ctx.lang), ctx.fmt
    items: list[tuple[int, dict[str, str]]] = []
    for ws in workshops:
        where = f" · {unbroken_ending(ws.location)}" if ws.location else ""
        items.append(
            (
                ctx.engagement.week_number(ws.starts_at.astimezone(BERLIN).date()),
                {
                    "kind": "workshop",
                    "kind_label": w["workshop"],
                    "title": ws.title,
                    "detail": f"{fmt.time_span(ws.starts_at, ws.ends_at)}{where}",
                },
            )
        )
    for e in pilots:
        p = e.pilot
        span = say(ctx.lang, "weeks", a=p.start_week, b=p.end_week) if p.start_week and p.end_week else ""
        items.append(
            (
                p.start_week or 1,
                {
                    "kind": "pilot",
                    "kind_label": w["pilot"],
                    "title": p.title,
                    "detail": " · ".join(filter(None, (span, w[p.process_area]))),
                },
            )
        )
    for d in deliverables:
        items.append(
            (d.due_week, {"kind": "deliverable", "kind_label": w["deliverable"], "title": d.title, "detail": w[d.kind]})
        )
    weeks = sorted({week for week, _ in items})
    return [
        {"week": week, "label": _week_label(ctx, week), "items": [item for n, item in items if n == week]}
        for week in weeks
    ]


def _pricing(ctx: Context) -> dict[str, Any]:
    e, fmt = ctx.engagement, ctx.fmt
    read = EngagementRead.model_validate(e)
    net = read.fee_net or Decimal(0)
    vat = round_money(net * e.vat_rate / 100)
    if e.proposal_items:
        lines = _item_lines(ctx, items_of(e.proposal_items))
    elif e.pricing_model == PricingModel.day_rate:
        lines = [
            {
                "description": say(ctx.lang, "day_line", title=e.title),
                "quantity": say(ctx.lang, "days", n=fmt.number(e.days, trim=True)),
                "unit_price": fmt.money(e.day_rate, e.currency),
                "amount": fmt.money(net, e.currency),
            }
        ]
    else:
        lines = [
            {
                "description": say(ctx.lang, "fixed_line", title=e.title, weeks=e.duration_weeks),
                "quantity": "1",
                "unit_price": fmt.money(net, e.currency),
                "amount": fmt.money(net, e.currency),
            }
        ]
    return {
        "model": e.pricing_model,
        "lines": lines,
        "net": fmt.money(net, e.currency),
        "vat_rate": f"{fmt.number(e.vat_rate, trim=True)} %",
        "vat": fmt.money(vat, e.currency),
        "gross": fmt.money(net + vat, e.currency),
    }


def _item_lines(ctx: Context, items: list[ProposalItem]) -> list[dict[str, Any]]:
    """One line per item; options and alternatives are priced but outside the total, and say so."""
    fmt, currency, w = ctx.fmt, ctx.engagement.currency, words(ctx.lang)
    lines = []
    for position, item in enumerate(items, start=1):
        notes = []
        if item.discount_percent:
            notes.append(say(ctx.lang, "item_discount", pct=fmt.number(item.discount_percent, trim=True)))
        if item.kind is ItemKind.optional:
            notes.append(say(ctx.lang, "item_optional"))
        elif item.kind is ItemKind.alternative:
            notes.append(say(ctx.lang, "item_alternative", n=item.replaces))
        lines.append(
            {
                "position": position,
                "kind": item.kind,
                "description": item.title,
                "detail": item.description or "",
                "note": " · ".join(notes),
                "quantity": _quantity(fmt, w, item),
                "unit_price": fmt.money(item.unit_price, currency),
                "amount": fmt.money(item.amount, currency),
            }
        )
    return lines


def _quantity(fmt: Formatter, w: Mapping[str, Any], item: ProposalItem) -> str:
    """ "2 Tage", "1 Tag"; a flat price once is just "pauschal", not "1 pauschal"."""
    if item.unit is ItemUnit.flat and item.quantity == 1:
        return str(w["units"][item.unit])
    unit = w["unit_one"][item.unit] if item.quantity == 1 else w["units"][item.unit]
    return f"{fmt.number(item.quantity, trim=True)} {unit}"


def agreements(ctx: Context, pilots: list[PilotEvidence]) -> list[LegalText]:
    """The contract texts accepted with the proposal: the AGB, and the AVV when a pilot
    processes personal data for the client."""
    texts = [legal_text(LegalKind.agb, ctx.lang, ctx.settings.legal_dir)]
    if any(e.pilot.processes_personal_data for e in pilots):
        texts.append(legal_text(LegalKind.avv, ctx.lang, ctx.settings.legal_dir))
    return texts


def schedule_terms(engagement: Engagement, lang: str) -> list[str]:
    """The fixed fee's milestones as the proposal states them, which the client accepts with it
    (invoicing bills them one by one, and only as accepted)."""
    milestones = engagement.payment_schedule or []
    if not milestones or engagement.pricing_model != PricingModel.fixed_fee:
        return []
    fmt = Formatter(lang)
    plan = ", ".join(f"{fmt.number(Decimal(m['percent']), trim=True)} % {m['label']}" for m in milestones)
    return [say(lang, "term_schedule", plan=plan)]


def valid_until(settings: Settings, now: datetime) -> date:
    """The last day a proposal written at `now` can be accepted."""
    return berlin_today(now) + timedelta(days=settings.proposal_validity_days)


async def proposal(session: AsyncSession, ctx: Context, *, number: int, now: datetime) -> dict[str, Any]:
    e = ctx.engagement
    workshops = await select_all(session, Workshop, Workshop.engagement_id == e.id, order_by=Workshop.starts_at)
    deliverables = await select_all(
        session, Deliverable, Deliverable.engagement_id == e.id, order_by=Deliverable.due_week
    )
    evidence = await engagement_evidence(session, e.id)
    today = berlin_today(now)
    contact = addressee(ctx.contacts)
    signatory = signer(contact)
    texts = agreements(ctx, evidence)
    data = common(ctx, DocumentKind.proposal, number, today, now)
    data["proposal"] = {
        "situation": e.situation or "",
        "goals": lines(e.goals),
        "scope": _scope(ctx, workshops, evidence, deliverables),
        "pricing": _pricing(ctx),
        "terms": [
            say(ctx.lang, "term_payment", days=ctx.settings.payment_terms_days),
            *schedule_terms(ctx.engagement, ctx.lang),
            say(ctx.lang, "term_vat"),
            *lines(e.terms),
            say(ctx.lang, "term_confidential"),
            *(say(ctx.lang, f"term_{t.kind}", version=t.version, hash=t.sha256[:16]) for t in texts),
        ],
        "agreements": [t.reference() for t in texts],
        # Where the texts can be read (the address is not part of what the offer says).
        "legal_url": ctx.settings.link(f"/portal/legal/agb?lang={ctx.lang}"),
        "valid_until": ctx.fmt.date(valid_until(ctx.settings, now)),
        "signatory": signatory,
    }
    return data


# -- result report ---------------------------------------------------------------------------


def _figures(fmt: Formatter, exact: Any) -> dict[str, Any] | None:
    if exact is None:
        return None
    r = exact.rounded()
    return {
        "hours_per_month": fmt.hours(r.hours_saved_per_month),
        "cost_per_month": fmt.money(r.cost_saved_per_month),
        "run_cost_per_month": fmt.money(r.run_cost_per_month),
        "net_per_month": fmt.money(r.net_per_month),
        "net_per_year": fmt.money(r.net_per_year),
    }


def _kpi_note(lang: str, result: KpiResult) -> str | None:
    if result.status == ResultStatus.ok:
        return None
    if result.missing:
        return say(lang, "missing", fields=field_list(lang, result.missing))
    return say(lang, "no_figures")


def _certainty(ctx: Context, unit: Any, result: KpiResult) -> dict[str, Any] | None:
    """How sure the improvement is, in a sentence (domains/pilots/confidence.py); nothing said
    where the spreads are not known."""
    found, fmt, lang = result.confidence, ctx.fmt, ctx.lang
    if found is None or found.certainty is Certainty.unknown or found.lower is None or found.upper is None:
        return None
    span = {
        "lower": fmt.quantity(found.lower, unit, 1),
        "upper": fmt.quantity(found.upper, unit, 1),
        "level": round(found.level * 100),
    }
    if found.certainty is Certainty.significant:
        money = result.at_least_figures
        if money is not None and money.net_per_month > 0:
            text = say(lang, "certainty_money", money=fmt.money(money.net_per_month), **span)
        else:
            text = say(lang, "certainty_value", value=fmt.quantity(found.at_least, unit, 1), **span)
            if money is not None:  # the improvement is sure; what it saves does not yet cover the costs
                text += " " + say(lang, "certainty_short_of_costs")
        return {"significant": True, "text": text}
    planned = say(lang, "certainty_cases", n=result.cases_needed) if result.cases_needed else ""
    return {"significant": False, "text": say(lang, "certainty_not_yet", **span) + planned}


def _kpi(ctx: Context, kpi: Any, measurements: list[Measurement], result: KpiResult) -> dict[str, Any]:
    fmt, lang = ctx.fmt, ctx.lang
    unit = kpi.unit
    latest = result.latest
    figures = _figures(fmt, result.exact) or {}
    improvement = None
    if result.improvement is not None:
        share = f" ({fmt.percent(result.improvement_percent)})" if result.improvement_percent is not None else ""
        improvement = f"{fmt.quantity(result.improvement, unit)}{share}"
    baseline_note = None
    if kpi.baseline_method or kpi.baseline_sample_size or kpi.baseline_date:
        baseline_note = " · ".join(
            filter(
                None,
                (
                    kpi.baseline_method,
                    f"n = {kpi.baseline_sample_size}" if kpi.baseline_sample_size else None,
                    f"± {fmt.quantity(kpi.baseline_std_dev, unit)}" if kpi.baseline_std_dev is not None else None,
                    fmt.date(kpi.baseline_date),
                ),
            )
        )
    points = current_measurements(measurements)
    return {
        "name": kpi.name,
        "direction": kpi.direction,
        "direction_label": words(lang)[kpi.direction],
        "baseline": fmt.quantity(kpi.baseline_value, unit),
        "baseline_note": baseline_note,
        "latest": fmt.quantity(latest.value, unit) if latest else None,
        "latest_date": fmt.date(latest.measured_on) if latest else None,
        "target": fmt.quantity(kpi.target_value, unit),
        "improvement": improvement,
        "progress": fmt.percent(result.target_progress_percent),
        "hours_per_month": figures.get("hours_per_month"),
        "cost_per_month": figures.get("cost_per_month"),
        "net_per_month": figures.get("net_per_month"),
        "net_per_year": figures.get("net_per_year"),
        "note": _kpi_note(lang, result),
        "certainty": _certainty(ctx, unit, result),
        # Numbers only for drawing the chart; every printed figure above is a formatted string.
        "chart": {
            "unit": UNIT_SYMBOLS[unit],
            "baseline": float(kpi.baseline_value) if kpi.baseline_value is not None else None,
            "target": float(kpi.target_value) if kpi.target_value is not None else None,
            "points": [{"label": fmt.day_month(m.measured_on), "value": float(m.value)} for m in points],
        },
    }


def _not_yet(result: KpiResult) -> bool:
    return result.confidence is not None and result.confidence.certainty is Certainty.not_yet


def _cases_for_what_was_seen(kpi: Any, result: KpiResult) -> int | None:
    """Cases per measurement to make the improvement seen so far significant (the planner sized
    for it, not for the 20 % it assumes before anything was measured); None when there is none
    to confirm or it would take more than any plan."""
    if result.improvement is None or result.improvement <= 0 or not kpi.baseline_value:
        return None
    relative = float(result.improvement / abs(kpi.baseline_value))
    return cases_needed(kpi.baseline_std_dev, kpi.baseline_value, relative=relative)


def _unsure_in_totals(evidence: list[PilotEvidence]) -> list[str]:
    """KPIs whose savings count in the totals though they are not yet significant."""
    return [k.name for e in evidence if e.counted for k in e.result.kpis if k.exact is not None and _not_yet(k)]


def _recommendations(ctx: Context, evidence: list[PilotEvidence]) -> list[str]:
    lang = ctx.lang
    derived: list[str] = []
    for e in evidence:
        if not e.counted:
            continue
        exact = e.result.exact
        if exact is not None and exact.net_per_month > 0 and e.pilot.stage != "production":
            # Going live on a saving the data do not yet carry is a recommendation to measure on.
            pairs = zip(e.kpis, e.result.kpis, strict=True)
            unsure = [(row, found) for row, found in pairs if found.exact is not None and _not_yet(found)]
            if unsure:
                for row, found in unsure:
                    needed = _cases_for_what_was_seen(row, found)
                    derived.append(
                        say(lang, "rec_confirm", title=e.pilot.title, kpi=row.name, n=needed)
                        if needed
                        else say(lang, "rec_confirm_plain", title=e.pilot.title, kpi=row.name)
                    )
            else:
                derived.append(say(lang, "rec_production", title=e.pilot.title, net=ctx.fmt.money(exact.net_per_month)))
        for kpi in e.result.kpis:
            if kpi.missing:
                derived.append(say(lang, "rec_missing", kpi=kpi.name, fields=field_list(lang, kpi.missing)))
            elif kpi.status == ResultStatus.no_measurements:
                derived.append(say(lang, "rec_measure", kpi=kpi.name))
    return lines(ctx.engagement.recommendations) + derived


async def _readiness(session: AsyncSession, ctx: Context) -> dict[str, Any] | None:
    comparison = await readiness_comparison(session, ctx.engagement.id)
    start, end = comparison.start, comparison.end
    if start is None and end is None:
        return None
    w, fmt = words(ctx.lang), ctx.fmt

    def score(row: Any, lever: str) -> int | None:
        return None if row is None else getattr(row, lever)

    levers = []
    for lever in LEVERS:
        a, b = score(start, lever), score(end, lever)
        levers.append(
            {
                "label": w[lever],
                "start": a,
                "end": b,
                "delta": fmt.signed(b - a) if a is not None and b is not None else None,
            }
        )
    return {
        "levers": levers,
        "total_start": f"{start.total} / 25" if start else None,
        "total_end": f"{end.total} / 25" if end else None,
        "total_delta": fmt.signed(end.total - start.total) if start and end else None,
    }


def _deliverable_rows(ctx: Context, deliverables: list[Deliverable]) -> list[dict[str, Any]]:
    w = words(ctx.lang)
    names: dict[int | None, str] = {c.id: c.name for c in ctx.contacts}
    rows = []
    for d in deliverables:
        signed = None
        if d.signed_off_at is not None:
            who = names.get(d.signed_off_by_contact_id)
            signed = ", ".join(filter(None, (who, ctx.fmt.date(d.signed_off_at.astimezone(BERLIN).date()))))
        rows.append(
            {
                "title": d.title,
                "kind": w[d.kind],
                "due": say(ctx.lang, "week", n=d.due_week),
                "status": w[d.status],
                "signed_off": signed,
            }
        )
    return rows


async def result_report(session: AsyncSession, ctx: Context, *, number: int, now: datetime) -> dict[str, Any]:
    e, fmt, lang = ctx.engagement, ctx.fmt, ctx.lang
    evidence = await engagement_evidence(session, e.id)
    fee = EngagementRead.model_validate(e).fee_net
    totals = engagement_totals(evidence, fee)
    exact, returns = totals.exact, totals.fee_return
    figures = _figures(fmt, exact) or {}
    note = None
    if exact is None:
        note = say(lang, "no_figures")
    elif returns.status == ReturnStatus.no_fee:
        note = say(lang, "no_fee")
    elif returns.status == ReturnStatus.no_payback:
        note = say(lang, "no_payback")
    if unsure := _unsure_in_totals(evidence):
        caveat = say(lang, "unsure_in_totals", kpis=", ".join(f"„{name}“" for name in unsure))
        note = f"{note} {caveat}" if note else caveat
    w = words(lang)
    deliverables = await select_all(
        session, Deliverable, Deliverable.engagement_id == e.id, order_by=Deliverable.due_week
    )
    owners: dict[int | None, str] = {c.id: c.name for c in ctx.contacts}
    data = common(ctx, DocumentKind.result_report, number, berlin_today(now), now)
    sustained = sustained_rows(e, evidence, fmt, lambda key, **values: say(lang, key, **values))
    data["report"] = {
        "summary": {
            **figures,
            "fee": fmt.money(fee),
            "roi": fmt.percent(returns.first_year_roi_percent),
            "payback": say(lang, "months", n=fmt.number(returns.payback_months))
            if returns.payback_months is not None
            else None,
            "note": note,
        },
        "pilots": [
            {
                "title": ev.pilot.title,
                "stage": w[ev.pilot.stage],
                "process_area": w[ev.pilot.process_area],
                "hypothesis": ev.pilot.hypothesis,
                "owner": owners.get(ev.pilot.owner_contact_id),
                "counted": ev.counted,
                "figures": _figures(fmt, ev.result.exact),
                "kpis": [
                    _kpi(ctx, kpi, ev.measurements.get(kpi.id, []), result)
                    for kpi, result in zip(ev.kpis, ev.result.kpis, strict=True)
                ],
            }
            for ev in evidence
        ],
        "sustained": sustained,
        "processors": processor_rows(await processors_of(session, e.id), lang, fmt),
        "readiness": await _readiness(session, ctx),
        "deliverables": _deliverable_rows(ctx, deliverables),
        "recommendations": _recommendations(ctx, evidence)
        + [
            say(lang, "rec_slipped", pilot=row["pilot"], kpi=row["kpi"], kept=row["after"][-1]["kept"])
            for row in sustained
            if row["state"] == "slipped"
        ],
    }
    return data


# -- weekly status report --------------------------------------------------------------------


def _in(moment: datetime | None, start: date, days: int) -> bool:
    if moment is None:
        return False
    day = moment.astimezone(BERLIN).date()
    return start <= day < start + timedelta(days=days)


OPEN = {
    DeliverableStatus.planned,
    DeliverableStatus.in_progress,
    DeliverableStatus.in_review,
    DeliverableStatus.rejected,
}


def draft_status(
    ctx: Context,
    monday: date,
    workshops: list[Workshop],
    deliverables: list[Deliverable],
    *,
    now: datetime,
    burn: Burn | None = None,
) -> dict[str, Any]:
    """A status update written from the week's data, for weeks the consultant left empty. It is
    written as of `now`: a workshop of the week that has not ended yet (the digest goes out on
    Monday morning) is coming up, not done. A day-rate engagement's days used are a risk once
    its burn is to watch; a fixed fee's burn is internal cost and never goes to the client."""
    lang, week = ctx.lang, ctx.engagement.week_number(monday)
    overdue = [d for d in deliverables if d.status in OPEN and d.due_week < week]
    done = [
        say(lang, "done_workshop", title=w.title) for w in workshops if _in(w.ends_at, monday, 7) and w.ends_at <= now
    ]
    done += [say(lang, "done_deliverable", title=d.title) for d in deliverables if _in(d.delivered_at, monday, 7)]
    upcoming = [
        say(lang, "next_workshop", title=w.title, when=ctx.fmt.time_span(w.starts_at, w.ends_at))
        for w in workshops
        if (_in(w.ends_at, monday, 7) and w.ends_at > now) or _in(w.starts_at, monday + timedelta(days=7), 7)
    ]
    upcoming += [
        say(lang, "next_deliverable", title=d.title, n=d.due_week)
        for d in deliverables
        if d.status in OPEN and d.due_week in (week, week + 1)
    ]
    days = _days_risk(ctx, burn)
    return {
        # Days running out are at least amber; more than one overdue deliverable is red.
        "rag": "red" if len(overdue) > 1 else "amber" if overdue or days else "green",
        "summary": "",
        "done": done,
        "next": upcoming,
        "risks": [say(lang, "risk_overdue", title=d.title, n=d.due_week) for d in overdue] + days,
    }


def _days_risk(ctx: Context, burn: Burn | None) -> list[str]:
    if burn is None or burn.basis != BurnBasis.days or burn.state == BurnState.ok or burn.budget is None:
        return []
    fmt = ctx.fmt
    return [
        say(
            ctx.lang,
            "risk_days",
            used=fmt.number(burn.spent, 1, trim=True),
            sold=fmt.number(burn.budget, 1, trim=True),
            pct=f"{fmt.number(burn.used_pct or 0, 0)} %",
            elapsed=f"{fmt.number(burn.elapsed_pct, 0)} %",
        )
    ]


def _movement(
    ctx: Context, pilot: str, kpi: Any, measurements: list[Measurement], until: date
) -> dict[str, Any] | None:
    points = [m for m in current_measurements(measurements) if m.measured_on <= until]
    if len(points) < 2:
        return None
    previous, latest = points[-2].value, points[-1].value
    change = latest - previous
    better = change < 0 if kpi.direction == "lower_is_better" else change > 0
    unit = kpi.unit
    sign = "+" if change > 0 else ""
    return {
        "pilot": pilot,
        "kpi": kpi.name,
        "previous": ctx.fmt.quantity(previous, unit),
        "latest": ctx.fmt.quantity(latest, unit),
        "change": f"{sign}{ctx.fmt.quantity(change, unit)}".replace("-", "−"),
        "trend": "same" if change == 0 else "better" if better else "worse",
    }


async def status_report(
    session: AsyncSession, ctx: Context, *, number: int, now: datetime, iso_week: str
) -> dict[str, Any]:
    e, fmt, lang = ctx.engagement, ctx.fmt, ctx.lang
    monday = monday_of(iso_week)
    workshops = await select_all(session, Workshop, Workshop.engagement_id == e.id, order_by=Workshop.starts_at)
    deliverables = await select_all(
        session, Deliverable, Deliverable.engagement_id == e.id, order_by=Deliverable.due_week
    )
    written = await select_all(
        session, StatusUpdate, StatusUpdate.engagement_id == e.id, StatusUpdate.iso_week == iso_week
    )
    evidence = await engagement_evidence(session, e.id)
    week = e.week_within(monday)
    status = (
        {
            "rag": written[0].rag,
            "summary": written[0].summary,
            "done": lines(written[0].done),
            "next": lines(written[0].next),
            "risks": lines(written[0].risks),
        }
        if written
        else draft_status(ctx, monday, workshops, deliverables, now=now, burn=await _burn_of_week(session, e, monday))
    )
    w = words(lang)
    movements = [
        _movement(ctx, ev.pilot.title, kpi, ev.measurements.get(kpi.id, []), monday + timedelta(days=6))
        for ev in evidence
        for kpi in ev.kpis
    ]
    data = common(ctx, DocumentKind.status_report, number, monday, now, suffix=f"-{iso_week}")
    data["status"] = {
        "iso_week": iso_week,
        "week_label": fmt.iso_week_range(monday),
        "week_of": say(lang, "week_of", n=week, m=e.duration_weeks),
        **status,
        "rag_label": w[status["rag"]],
        "drafted": not written,
        "workshops": [
            {
                "title": ws.title,
                "kind": w[ws.kind],
                "when": fmt.time_span(ws.starts_at, ws.ends_at),
                "location": unbroken_ending(ws.location or ""),
            }
            for ws in workshops
            if _in(ws.starts_at, monday, 14)
        ],
        "deliverables_due": [
            {"title": d.title, "kind": w[d.kind], "due": say(lang, "week", n=d.due_week), "status": w[d.status]}
            for d in deliverables
            if d.status in OPEN and d.due_week <= week + 1
        ],
        "kpi_movements": [m for m in movements if m is not None],
        "savings": _savings_line(ctx, evidence),
    }
    return data


def _savings_line(ctx: Context, evidence: list[PilotEvidence]) -> str | None:
    """Saved so far, in one sentence for the week's report and digest: the same figures as the
    results (results_of), and of the KPIs whose certainty is known, how many are significant."""
    fmt, lang = ctx.fmt, ctx.lang
    found = results_of(ctx.engagement.id, evidence, EngagementRead.model_validate(ctx.engagement).fee_net)
    if found.figures is None:
        return None
    line = say(
        lang, "savings_line", month=fmt.money(found.figures.net_per_month), year=fmt.money(found.figures.net_per_year)
    )
    counted = [p for p in found.pilots if p.pilot_id not in found.excluded_pilot_ids]
    known = [k for p in counted for k in p.kpis if k.confidence and k.confidence.certainty != Certainty.unknown]
    if known:
        sure = sum(1 for k in known if k.confidence and k.confidence.certainty == Certainty.significant)
        line += say(lang, "savings_sure", sure=sure, of=len(known))
    return line


async def drafted_status(
    session: AsyncSession, *, engagement_id: int, iso_week: str, lang: str, settings: Settings
) -> dict[str, Any]:
    """The status update the week's data suggests (see draft_status)."""
    ctx = await load_context(session, engagement_id, lang, settings)
    workshops = await select_all(
        session, Workshop, Workshop.engagement_id == engagement_id, order_by=Workshop.starts_at
    )
    deliverables = await select_all(session, Deliverable, Deliverable.engagement_id == engagement_id)
    burn = await _burn_of_week(session, ctx.engagement, monday_of(iso_week))
    return draft_status(ctx, monday_of(iso_week), workshops, deliverables, now=utcnow(), burn=burn)


async def _burn_of_week(session: AsyncSession, engagement: Engagement, monday: date) -> Burn:
    """The burn as it stood at the end of the report's week (or today, in the week under way)."""
    return await engagement_burn(session, engagement, today=min(monday + timedelta(days=6), berlin_today()))
