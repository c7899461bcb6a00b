"""The demo seed against a freshly migrated SQLite file, independent of the API fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import SQLModel, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.clients.models import Client, Contact, ReadinessAssessment
from backend.domains.deliverables.models import Deliverable, DeliverableStatus
from backend.domains.engagements.models import Engagement, EngagementStatus, StatusUpdate
from backend.domains.pilots.aftercare import sustained
from backend.domains.pilots.confidence import Certainty
from backend.domains.pilots.models import Kpi, Measurement, Pilot, PilotStage, UseCaseIdea
from backend.domains.pilots.service import engagement_results
from backend.domains.workshops.models import Workshop, WorkshopAttendee
from backend.flows.acceptance.models import DeliverableAcceptance, DeliverableAcceptanceRequest
from backend.kernel.db import make_engine, make_sessionmaker, unit_of_work
from backend.kernel.enums import Role
from backend.kernel.migrate import upgrade
from backend.kernel.time import BERLIN, today
from backend.server.demo import CLIENT_USER_EMAIL, CONSULTANT_EMAIL, DEMO_ADMIN_EMAIL, demo_logins, seed_demo


@pytest.fixture
async def maker(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine: AsyncEngine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}")
    try:
        await upgrade(engine)
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


async def count(session: AsyncSession, model: type[SQLModel]) -> int:
    return (await session.exec(select(func.count()).select_from(model))).one()


async def all_rows(session: AsyncSession, model: type[SQLModel]) -> list:
    return list((await session.exec(select(model))).all())


async def test_seed_demo_builds_a_running_engagement(maker: async_sessionmaker[AsyncSession]) -> None:
    async with unit_of_work(maker) as session:
        summary = await seed_demo(session)
    assert summary.startswith("demo data loaded: 2 clients, 4 contacts, 2 engagements")

    # A fresh session reads what was committed, not the seeding session's identity map.
    async with unit_of_work(maker) as session:
        client, _after_go_live = await all_rows(session, Client)
        assert client.name == "Müller Präzisionstechnik GmbH"
        assert await count(session, Contact) == 4

        engagement, _ended = await all_rows(session, Engagement)
        assert engagement.status == EngagementStatus.active
        assert engagement.duration_weeks == 8
        assert engagement.client_id == client.id

        users = {user.email: user for user in await all_rows(session, User)}
        assert sorted(user.role for user in users.values()) == sorted(Role)
        assert users[DEMO_ADMIN_EMAIL].role == Role.admin
        (client_user,) = [user for user in users.values() if user.role == Role.client]
        assert client_user.client_id == client.id

        workshops = [w for w in await all_rows(session, Workshop) if w.engagement_id == engagement.id]
        assert len(workshops) == 3
        for workshop in workshops:
            assert workshop.starts_at.tzinfo is not None and workshop.ends_at.tzinfo is not None
            local = (workshop.starts_at.astimezone(BERLIN), workshop.ends_at.astimezone(BERLIN))
            assert [t.time() for t in local] == [time(9), time(13)]
        assert await count(session, WorkshopAttendee) > 0

        pilots = [p for p in await all_rows(session, Pilot) if p.engagement_id == engagement.id]
        assert len(pilots) == 2
        ideas = [i for i in await all_rows(session, UseCaseIdea) if i.engagement_id == engagement.id]
        assert {idea.pilot_id for idea in ideas if idea.pilot_id} == {pilot.id for pilot in pilots}

        kpis = [k for k in await all_rows(session, Kpi) if k.pilot_id in {p.id for p in pilots}]
        assert {kpi.pilot_id for kpi in kpis} == {pilot.id for pilot in pilots}
        measurements = await all_rows(session, Measurement)
        for kpi in kpis:
            assert kpi.baseline_value is not None and kpi.baseline_date is not None
            assert sum(m.kpi_id == kpi.id for m in measurements) >= 2
        # The README's hand calculation uses exactly these numbers.
        offers = next(kpi for kpi in kpis if kpi.name == "Bearbeitungszeit pro Angebot")
        assert (offers.baseline_value, offers.target_value) == (Decimal("90"), Decimal("45"))
        assert sorted(m.value for m in measurements if m.kpi_id == offers.id) == [
            Decimal("41"),
            Decimal("48"),
            Decimal("62"),
        ]

        deliverables = await all_rows(session, Deliverable)
        assert len(deliverables) == 5
        (accepted,) = [d for d in deliverables if d.status == DeliverableStatus.accepted]
        assert accepted.signed_off_by_contact_id is not None and accepted.signed_off_at is not None
        # Its Abnahme is on record with the file handed over; the delivered prototype awaits one.
        (abnahme,) = await all_rows(session, DeliverableAcceptance)
        assert (abnahme.deliverable_id, abnahme.mode) == (accepted.id, "explicit")
        assert [a["name"] for a in abnahme.artefacts] == ["KI-Nutzungsrichtlinie.md"]
        (waiting,) = await all_rows(session, DeliverableAcceptanceRequest)
        delivered = next(d for d in deliverables if d.status == DeliverableStatus.delivered)
        assert (waiting.deliverable_id, waiting.outcome, waiting.status) == (delivered.id, "open", "sent")
        assert waiting.deadline > today()

        assert await count(session, StatusUpdate) == 1
        assert await count(session, ReadinessAssessment) == 1

        # The demo shows both sides of the confidence: a saving proven at 90 % and one not yet.
        results = await engagement_results(session, engagement_id=engagement.id, fee=engagement.fixed_fee)
        certainty = {kpi.name: kpi.confidence.certainty for p in results.pilots for kpi in p.kpis if kpi.confidence}
        assert certainty["Bearbeitungszeit pro Angebot"] == Certainty.significant
        assert Certainty.not_yet in certainty.values()

    # The second client's engagement ended three months ago: its pilot in production was measured
    # at 30, 60 and 90 days, holds at first and slips back at the last checkpoint.
    async with unit_of_work(maker) as session:
        ended = next(e for e in await all_rows(session, Engagement) if e.status == EngagementStatus.completed)
        (live,) = [p for p in await all_rows(session, Pilot) if p.engagement_id == ended.id]
        assert live.stage == PilotStage.production
        kpis = [k for k in await all_rows(session, Kpi) if k.pilot_id == live.id]
        measured = {k.id: [m for m in await all_rows(session, Measurement) if m.kpi_id == k.id] for k in kpis}
        found = await sustained(session, live, kpis, measured)
        (kpi,) = found.kpis
        assert [a.checkpoint for a in kpi.after] == [30, 60, 90] and all(a.measured_on <= today() for a in kpi.after)
        assert [a.slipped for a in kpi.after] == [False, False, True] and kpi.state == "slipped"
        assert [c["days"] for c in found.checkpoints] == [30, 60, 90] and len(found.run_costs) == 3
        results = await engagement_results(session, engagement_id=ended.id, fee=ended.fixed_fee)
        assert results.pilots[0].run_cost_basis == "actual"


async def test_seed_demo_only_if_empty_adds_nothing_the_second_time(
    maker: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(maker) as session:
        await seed_demo(session, only_if_empty=True)
    async with unit_of_work(maker) as session:
        message = await seed_demo(session, only_if_empty=True)
    assert "\n" not in message

    async with unit_of_work(maker) as session:
        assert await count(session, Client) == 2
        assert await count(session, Engagement) == 2
        assert await count(session, User) == 3


async def test_the_demo_logins_are_known_on_every_start_while_they_work(
    maker: async_sessionmaker[AsyncSession],
) -> None:
    from backend.domains.auth.passwords import hash_password
    from backend.kernel.config import get_settings

    password = get_settings().demo_password
    async with unit_of_work(maker) as session:
        await seed_demo(session)
    async with unit_of_work(maker) as session:  # a later start: nothing seeded, the logins shown
        assert await seed_demo(session, only_if_empty=True) == "database already has clients; demo data not loaded"
        assert await demo_logins(session, password) == [
            (Role.consultant, CONSULTANT_EMAIL),
            (Role.admin, DEMO_ADMIN_EMAIL),
            (Role.client, CLIENT_USER_EMAIL),
        ]
        users = {u.email: u for u in await all_rows(session, User)}
        users[DEMO_ADMIN_EMAIL].password_hash = hash_password("ein-anderes-passwort")
        users[CLIENT_USER_EMAIL].is_active = False
    async with unit_of_work(maker) as session:
        assert await demo_logins(session, password) == [(Role.consultant, CONSULTANT_EMAIL)]
