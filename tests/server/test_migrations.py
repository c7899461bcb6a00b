"""Migrations are the schema: they go up and down on both databases and match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from backend.kernel.db import make_engine
from backend.kernel.migrate import downgrade, upgrade
from backend.server.tables import metadata
from tests.conftest import POSTGRES_URL, reset_postgres

BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


@pytest.fixture(params=BACKENDS)
async def fresh_engine(request: pytest.FixtureRequest, tmp_path):
    if request.param == "postgres":
        # A second database on the same server keeps the shared test schema untouched; named
        # after the test database, so two runs on one server never share it, and dropped after.
        server, name = POSTGRES_URL.rsplit("/", 1)
        name = f"{name}_migrations"
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
        url = f"{server}/{name}"
        await reset_postgres(url)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    engine = make_engine(url)
    yield engine
    await engine.dispose()
    if request.param == "postgres":
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _admin(*statements: str) -> None:
    base = make_engine(POSTGRES_URL)
    try:
        async with base.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await base.dispose()


async def table_names(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade(fresh_engine) -> None:
    await upgrade(fresh_engine)
    expected = {t.name for t in metadata.sorted_tables}
    assert expected <= await table_names(fresh_engine)
    await downgrade(fresh_engine)
    assert await table_names(fresh_engine) <= {"alembic_version"}
    await upgrade(fresh_engine)
    assert expected <= await table_names(fresh_engine)


async def test_models_match_migrated_schema(fresh_engine) -> None:
    await upgrade(fresh_engine)

    def diff(sync_conn):
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    async with fresh_engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []


async def test_idea_score_backfill(fresh_engine) -> None:
    from sqlalchemy import text

    from backend.domains.pilots.scoring import idea_score

    await upgrade(fresh_engine, "0001")
    now = "2026-11-02 10:00:00"
    async with fresh_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO clients (id, name, country, created_at, updated_at, version)"
                f" VALUES (1, 'K', 'DE', '{now}', '{now}', 1)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO engagements (id, client_id, title, start_date, duration_weeks, pricing_model,"
                " currency, vat_rate, review_before_send, status, created_at, updated_at, version)"
                f" VALUES (1, 1, 'E', '2026-11-02', 8, 'fixed_fee', 'EUR', 19, false, 'draft', '{now}', '{now}', 1)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO use_case_ideas (engagement_id, title, process_area, impact, effort,"
                " data_readiness, created_at, updated_at, version)"
                f" VALUES (1, 'A', 'other', 5, 2, 4, '{now}', '{now}', 1),"
                f" (1, 'B', 'other', 1, 5, 1, '{now}', '{now}', 1)"
            )
        )
    await upgrade(fresh_engine)
    async with fresh_engine.connect() as conn:
        scores = (await conn.execute(text("SELECT title, score FROM use_case_ideas ORDER BY title"))).all()
    assert scores == [
        ("A", idea_score(impact=5, effort=2, data_readiness=4)),
        ("B", idea_score(impact=1, effort=5, data_readiness=1)),
    ]
    assert scores[0][1] == 88 and scores[1][1] == 0  # (50·4 + 30·3 + 20·3 + 2) // 4 = 88


async def test_one_live_mailing_link_and_lower_case_addresses(fresh_engine) -> None:
    """Databases at 0010 may hold several live mailing links for one recipient (releases at
    once) and addresses in mixed case; 0011 keeps the newest link and lowers what it safely can."""
    from sqlalchemy import text

    await upgrade(fresh_engine, "0010")
    now = "2026-11-02 10:00:00"
    later = "2026-12-02 10:00:00"
    statements = [
        "INSERT INTO clients (id, name, country, created_at, updated_at, version)"
        f" VALUES (1, 'K', 'DE', '{now}', '{now}', 1)",
        "INSERT INTO contacts (id, client_id, name, email, language, is_ai_owner, receives_digest, portal_access,"
        " created_at, updated_at, version) VALUES"
        f" (1, 1, 'A', 'Anna.Alt@K.de', 'de', false, true, true, '{now}', '{now}', 1),"
        f" (2, 1, 'B', 'Bernd@K.de', 'de', false, true, false, '{now}', '{now}', 1),"
        f" (3, 1, 'B2', 'bernd@k.de', 'de', false, true, false, '{now}', '{now}', 1)",
        "INSERT INTO users (id, email, full_name, role, password_hash, is_active, session_epoch,"
        " created_at, updated_at, version)"
        f" VALUES (1, 'Chef@Desk.de', 'C', 'admin', 'x', true, 1, '{now}', '{now}', 1)",
        "INSERT INTO engagements (id, client_id, title, start_date, duration_weeks, pricing_model,"
        " currency, vat_rate, review_before_send, status, created_at, updated_at, version)"
        f" VALUES (1, 1, 'E', '2026-11-02', 8, 'fixed_fee', 'EUR', 19, false, 'proposed', '{now}', '{now}', 1)",
        "INSERT INTO documents (id, engagement_id, kind, language, number, status, template, created_at, updated_at,"
        f" version) VALUES (1, 1, 'proposal', 'de', 1, 'ready', 'proposal', '{now}', '{now}', 1)",
        "INSERT INTO share_links (id, document_id, contact_id, purpose, expires_at, download_count, created_at,"
        f" updated_at, version) VALUES (1, 1, 1, 'release', '{later}', 0, '{now}', '{now}', 1),"
        f" (2, 1, 1, 'release', '{later}', 0, '{now}', '{now}', 1),"
        f" (3, 1, NULL, 'manual', '{later}', 0, '{now}', '{now}', 1),"
        f" (4, 1, NULL, 'manual', '{later}', 0, '{now}', '{now}', 1)",
    ]
    async with fresh_engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await upgrade(fresh_engine)
    async with fresh_engine.connect() as conn:
        live = (await conn.execute(text("SELECT id FROM share_links WHERE revoked_at IS NULL ORDER BY id"))).all()
        contacts = (await conn.execute(text("SELECT email FROM contacts ORDER BY id"))).scalars().all()
        users = (await conn.execute(text("SELECT email FROM users"))).scalars().all()
    assert [row.id for row in live] == [2, 3, 4]  # the newest release link; links made by hand stay
    assert contacts == ["anna.alt@k.de", "Bernd@K.de", "bernd@k.de"]  # two spellings of one: left to a person
    assert users == ["chef@desk.de"]
    async with fresh_engine.begin() as conn:
        with pytest.raises(Exception, match="(?i)unique"):
            await conn.execute(
                text(
                    "INSERT INTO share_links (document_id, contact_id, purpose, expires_at, download_count, created_at,"
                    f" updated_at, version) VALUES (1, 1, 'release', '{later}', 0, '{now}', '{now}', 1)"
                )
            )
